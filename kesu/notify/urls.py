"""Notification pages, mounted under /notifications/ by kesu/urls.py."""

from django.urls import URLPattern, URLResolver, path

from kesu.notify import views, views_admin

app_name = "notify"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("settings/", views.preferences, name="settings"),
    path("webhooks/", views_admin.webhook_list, name="webhook_list"),
    path("webhooks/new/", views_admin.webhook_new, name="webhook_new"),
    path("webhooks/<int:pk>/", views_admin.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/test/", views_admin.webhook_test, name="webhook_test"),
    path("outbox/", views_admin.outbox, name="outbox"),
    path("outbox/<int:pk>/retry/", views_admin.outbox_retry, name="outbox_retry"),
]
