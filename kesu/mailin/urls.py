"""Console page of kesu.mailin, mounted under /mailin/ by kesu/urls.py."""

from django.urls import URLPattern, URLResolver, path

from kesu.mailin import views

app_name = "mailin"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.status, name="status"),
]
