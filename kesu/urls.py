"""URL map: console (staff) at /, portal (customers) at /portal/, API at /api/v1/."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path
from django.views.static import serve

from kesu.api.main import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("portal/", include("kesu.portal.urls")),
    path("sla/", include("kesu.sla.urls")),
    path("notifications/", include("kesu.notify.urls")),
    path("triage/", include("kesu.triage.urls")),
    path("mailin/", include("kesu.mailin.urls")),
    path("", include("kesu.console.urls")),
]

if settings.DEBUG:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
