"""Console pages of kesu.sla, mounted under /sla/ by kesu/urls.py."""

from django.urls import URLPattern, URLResolver, path
from django.views.generic import RedirectView

from kesu.sla import views

app_name = "sla"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(pattern_name="sla:breaches"), name="home"),
    path("breaches/", views.breaches, name="breaches"),
    path("calendars/", views.calendar_list, name="calendar_list"),
    path("calendars/<str:code>/", views.calendar_detail, name="calendar_detail"),
    path("calendars/<str:code>/edit/", views.calendar_edit, name="calendar_edit"),
    path("calendars/<str:code>/days/", views.day_add, name="day_add"),
    path("calendars/<str:code>/days/<str:day>/delete/", views.day_delete, name="day_delete"),
    path("calendars/<str:code>/import/", views.calendar_import, name="calendar_import"),
    path("policies/", views.policy_list, name="policy_list"),
    path("policies/new/", views.policy_edit, name="policy_new"),
    path("policies/<int:pk>/", views.policy_edit, name="policy_edit"),
    path("escalation/", views.level_list, name="level_list"),
    path("escalation/new/", views.level_edit, name="level_new"),
    path("escalation/<int:pk>/", views.level_edit, name="level_edit"),
]
