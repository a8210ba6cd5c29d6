from django.urls import path

from kesu.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.submit, name="submit"),
    path("track/", views.track, name="track"),
    path("t/<str:token>/", views.case, name="case"),
    path("t/<str:token>/receipt/", views.receipt, name="receipt"),
]
