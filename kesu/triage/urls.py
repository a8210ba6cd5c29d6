"""Console pages of kesu.triage, mounted under /triage/ by kesu/urls.py."""

from django.urls import URLPattern, URLResolver, path

from kesu.triage import views

app_name = "triage"

urlpatterns: list[URLPattern | URLResolver] = [
    path("suggest/", views.suggest, name="suggest"),
    path("cases/<str:number>/", views.case_card, name="case_card"),
    path("cases/<str:number>/accept/", views.case_accept, name="case_accept"),
    path("cases/<str:number>/correct/", views.case_correct, name="case_correct"),
    path("models/", views.models, name="models"),
    path("models/train/", views.train, name="train"),
    path("models/rollback/", views.rollback, name="rollback"),
    path("models/settings/", views.update_settings, name="settings"),
    path("models/evaluate/", views.evaluate_csv, name="evaluate"),
    path("models/<str:version>/promote/", views.promote, name="promote"),
]
