"""Console pages of kesu.triage, mounted under /triage/ by kesu/urls.py."""

from django.urls import URLPattern, URLResolver

app_name = "triage"

urlpatterns: list[URLPattern | URLResolver] = []
