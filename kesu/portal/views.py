"""Public portal pages (IN-1 b, IN-6, IN-7, SE-4): submit, receipt, track, follow a case.

No login. A case is reached only by its secret tracking token, or by number together with the
phone on the case. POSTs are rate-limited per client address (django-ratelimit); over the
limit, ``RatelimitMiddleware`` answers with ``rate_limited`` (settings.RATELIMIT_VIEW).
Behind a reverse proxy, set ``RATELIMIT_IP_META_KEY`` so that "client address" is the client's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.decorators import ratelimit

from kesu.cases.actions import do_create_case
from kesu.cases.choices import Status
from kesu.cases.models import Case
from kesu.cases.promise import promised_reply_at
from kesu.core.errors import Conflict, NotFound, ValidationFailed
from kesu.portal.access import (
    case_by_number_and_phone,
    case_by_token,
    promised_due_at,
    public_history,
    public_status_label,
)
from kesu.portal.forms import SubmitForm, TrackForm, fresh_submit_key

#: Statuses in which the promised reply time is still news to the customer.
AWAITING_REPLY = {Status.NEW, Status.AWAITING_INFO}


def _submit_rate(group: str, request: HttpRequest) -> str:
    return str(settings.PORTAL_SUBMIT_RATE)


def _track_rate(group: str, request: HttpRequest) -> str:
    return str(settings.PORTAL_TRACK_RATE)


def _render_submit(request: HttpRequest, form: SubmitForm, *, resent: bool = False) -> HttpResponse:
    files_dropped = request.method == "POST" and bool(request.FILES)
    return render(request, "portal/submit.html", {"form": form, "files_dropped": files_dropped,
                                                  "resent": resent})


@ratelimit(key="ip", rate=_submit_rate, method="POST")
@require_http_methods(["GET", "HEAD", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render_submit(request, SubmitForm())
    form = SubmitForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_submit(request, form)
    try:
        result = do_create_case(form.new_case(), actor=None, idempotency_key=form.cleaned_data["submit_key"])
    except ValidationFailed as e:
        form.add_action_error(e)
        return _render_submit(request, form)
    except Conflict as e:
        if e.code != "idempotency_key_reused":
            raise
        # Sent once, then changed (e.g. after "back") and sent again: offer a new submission.
        data = request.POST.copy()
        data["submit_key"] = fresh_submit_key()
        return _render_submit(request, SubmitForm(data), resent=True)
    return redirect("portal:receipt", token=result.case.tracking_token)


def _not_found(request: HttpRequest, error: NotFound) -> HttpResponse:
    return render(request, "portal/not_found.html", {"message": error.message}, status=404)


def promised_reply(case: Case) -> datetime:
    """The time promised on the receipt (IN-6): staff's own promise, else the reply clock.

    A case whose policy has no reply clock falls back to the fixed working-day rule.
    """
    return promised_due_at(case) or promised_reply_at(case.received_at)


def _case_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    key = case.customer.phone_key if case.customer else ""
    return {
        "case": case,
        "status_label": public_status_label(case.status),
        "promised_at": promised_reply(case),
        "tracking_url": request.build_absolute_uri(reverse("portal:case", args=[case.tracking_token])),
        "phone_tail": key[-4:],
    }


@never_cache
@require_safe
def receipt(request: HttpRequest, token: str) -> HttpResponse:
    try:
        case = case_by_token(token)
    except NotFound as e:
        return _not_found(request, e)
    return render(request, "portal/receipt.html", _case_context(request, case))


@never_cache
@require_safe
def case(request: HttpRequest, token: str) -> HttpResponse:
    try:
        found = case_by_token(token)
    except NotFound as e:
        return _not_found(request, e)
    context = _case_context(request, found)
    context.update(history=public_history(found), awaiting_reply=found.status in AWAITING_REPLY)
    return render(request, "portal/case.html", context)


@ratelimit(key="ip", rate=_track_rate, method="POST")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            found = case_by_number_and_phone(form.cleaned_data["number"], form.cleaned_data["phone"])
        except NotFound as e:
            form.add_error(None, str(e.message))
        else:
            return redirect("portal:case", token=found.tracking_token)
    return render(request, "portal/track.html", {"form": form})


def rate_limited(request: HttpRequest, exception: Exception | None) -> HttpResponse:
    """settings.RATELIMIT_VIEW: 429 with a translated page (or the API's error shape)."""
    message = _("Too many attempts from your network. Please wait a while and try again.")
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "rate_limited", "message": message, "fields": {}}, status=429)
    return render(request, "portal/rate_limited.html", {"message": message}, status=429)
