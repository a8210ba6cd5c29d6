"""Staff console URLs, mounted at the site root. Append new pages to ``urlpatterns``."""

from django.urls import path
from django.views.generic import RedirectView

from kesu.console import views_auth, views_cases, views_customers

app_name = "console"

urlpatterns: list = [
    path("", RedirectView.as_view(pattern_name="console:case_list"), name="home"),
    path("login/", views_auth.LoginView.as_view(), name="login"),
    path("logout/", views_auth.LogoutView.as_view(), name="logout"),
    path("cases/", views_cases.case_list, name="case_list"),
    path("cases/new/", views_cases.case_new, name="case_new"),
    path("cases/<str:number>/", views_cases.case_detail, name="case_detail"),
    path("cases/<str:number>/classify/", views_cases.case_classify, name="case_classify"),
    path("cases/<str:number>/attachments/", views_cases.attachment_add, name="attachment_add"),
    path("cases/<str:number>/attachments/<int:pk>/", views_cases.attachment_download,
         name="attachment_download"),
    path("customers/", views_customers.customer_list, name="customer_list"),
    path("customers/lookup/", views_customers.customer_lookup, name="customer_lookup"),
    path("customers/<int:pk>/", views_customers.customer_detail, name="customer_detail"),
]

from kesu.console import views_import  # noqa: E402 - import pages (IN-1, IN-7)

urlpatterns += [
    path("imports/", views_import.import_list, name="import_list"),
    path("imports/new/", views_import.import_new, name="import_new"),
    path("imports/<int:pk>/", views_import.import_detail, name="import_detail"),
    path("imports/<int:pk>/errors.csv", views_import.import_errors, name="import_errors"),
]
