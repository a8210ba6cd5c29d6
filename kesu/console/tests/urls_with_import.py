"""A URL map with a stand-in ``console:import_list`` page, to test the guarded navbar link."""

from django.http import HttpResponse
from django.urls import include, path

from kesu.console import urls as console_urls

patterns = [
    *[p for p in console_urls.urlpatterns if getattr(p, "name", "") != "import_list"],
    path("imports/", lambda request: HttpResponse("imports"), name="import_list"),
]

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include((patterns, "console"))),
]
