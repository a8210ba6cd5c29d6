"""Login and logout. Logins and failed attempts go to the audit log (SE-3), explicitly."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit

from kesu.console.forms_users import SignInForm
from kesu.core import audit

#: ``AuditEvent.object_id`` is 64 characters; a typed user name may be anything.
MAX_NAME = 64


def _login_rate(group: str, request: HttpRequest) -> str:
    return str(settings.LOGIN_RATE)


def _login_ip_rate(group: str, request: HttpRequest) -> str:
    return str(settings.LOGIN_IP_RATE)


@method_decorator(ratelimit(key="post:username", rate=_login_rate, method="POST"), name="post")
@method_decorator(ratelimit(key="ip", rate=_login_ip_rate, method="POST"), name="post")
class LoginView(auth_views.LoginView):
    """Password guessing is slowed per user name and per address (429 past the limits)."""

    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def _client(self) -> dict[str, Any]:
        meta = self.request.META
        return {"ip": meta.get("REMOTE_ADDR", ""), "user_agent": meta.get("HTTP_USER_AGENT", "")[:200]}

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            user = form.get_user()
            audit.record("user.login", actor=user, object_type="user", object_id=user.username,
                         data=self._client())
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        name = (form.data.get("username") or "").strip()[:MAX_NAME]
        data = self._client()
        if getattr(form, "deactivated", False):
            data["deactivated"] = True
        audit.record("user.login_failed", actor=None, object_type="user", object_id=name, data=data)
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule): a link cannot log anyone out."""
