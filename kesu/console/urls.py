"""Staff console URLs, mounted at the site root. Append new pages to ``urlpatterns``."""

from django.urls import path
from django.views.generic import RedirectView

from kesu.console import (
    views_auth,
    views_cases,
    views_customers,
    views_import,
    views_links,
    views_policies,
    views_related_settings,
    views_users,
    views_workflow,
)

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

urlpatterns += [
    path("imports/", views_import.import_list, name="import_list"),
    path("imports/new/", views_import.import_new, name="import_new"),
    path("imports/<int:pk>/", views_import.import_detail, name="import_detail"),
    path("imports/<int:pk>/errors.csv", views_import.import_errors, name="import_errors"),
]

urlpatterns += [
    path("cases/<str:number>/transition/", views_workflow.case_transition, name="case_transition"),
    path("cases/<str:number>/assign/", views_workflow.case_assign, name="case_assign"),
    path("cases/<str:number>/messages/", views_workflow.case_message, name="case_message"),
]

urlpatterns += [
    path("settings/routing/", views_policies.routing_rules, name="routing_rules"),
    path("settings/routing/<int:pk>/", views_policies.routing_rules, name="routing_rule_edit"),
    path("settings/authority/", views_policies.authority_limits, name="authority_limits"),
    path("settings/related/", views_related_settings.related_settings, name="related_settings"),
]

# Related cases, merge, crisis (TR-5, TR-7).
urlpatterns += views_links.urlpatterns

# Staff accounts for administrators (SE-2).
urlpatterns += views_users.urlpatterns
