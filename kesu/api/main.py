"""``/api/v1``: token or session auth, one error shape, routers mounted from the apps.

Every 4xx answers ``{"code", "message", "fields"}`` with the message in the caller's
language (Accept-Language, else zh-Hans).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from kesu.core.errors import KesuError
from kesu.org.actions import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="kesu API",
    version="1",
    description="客诉 — customer feedback and complaint management. Authenticate with "
    "`Authorization: Bearer <token>` (create one with `kesu token create USERNAME`).",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request: HttpRequest, status: int, code: str, message: str,
           fields: dict[str, list[str]] | None = None) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "fields": fields or {}}, status=status
    )


@api.exception_handler(KesuError)
def on_domain_error(request: HttpRequest, exc: KesuError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        fields.setdefault(".".join(loc) or "request", []).append(str(err.get("msg", "")))
    return _error(request, 422, "validation_failed", _("Please correct the marked fields."), fields)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("Please sign in or send a valid API token."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


def _mount() -> None:
    from kesu.cases.api import router as cases_router
    from kesu.cases.api_attachments import router as case_attachments_router
    from kesu.cases.api_links import router as case_links_router
    from kesu.notify.api import router as notify_router
    from kesu.sla.api import router as sla_router
    from kesu.triage.api import router as triage_router

    api.add_router("/cases", cases_router)
    api.add_router("/cases", case_links_router)
    api.add_router("/cases", case_attachments_router)
    api.add_router("/sla", sla_router)
    api.add_router("/notifications", notify_router)
    api.add_router("/triage", triage_router)
    api.add_router("/users", "kesu.org.api.router")


_mount()
