"""The site's URLs with the e-mail intake page mounted, until kesu/urls.py mounts it itself."""

from django.urls import URLPattern, URLResolver, include, path

from kesu.urls import urlpatterns as site

urlpatterns: list[URLPattern | URLResolver] = list(site)
if not any(getattr(p, "namespace", None) == "mailin" for p in site):
    urlpatterns.insert(0, path("mailin/", include("kesu.mailin.urls")))
