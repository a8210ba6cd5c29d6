"""Console pages of kesu.mailin, mounted under /mailin/ by kesu/urls.py."""

from django.urls import URLPattern, URLResolver, path

from kesu.mailin import views

app_name = "mailin"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.status, name="status"),
    path("new/", views.mailbox_form, name="mailbox_new"),
    path("<int:pk>/edit/", views.mailbox_form, name="mailbox_edit"),
    path("<int:pk>/active/", views.set_active, name="mailbox_active"),
    path("<int:pk>/poll/", views.poll_now, name="mailbox_poll"),
]
