"""The case page's related-cases card, the merge confirmation and the crisis buttons (TR-5, TR-7).

``related_context(case, user)`` is what the card needs; the case page includes
``console/_case_related.html`` with it, and ``case_related`` serves the same card alone (for
htmx). POSTs parse, call one action and go back to the case (ARCHITECTURE rule 1).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesu.cases.access import access_case, cases_visible_to
from kesu.cases.actions_links import (
    CRISIS_FLAGGERS,
    can_resolve_crisis,
    do_flag_crisis,
    do_merge_case,
    do_resolve_crisis,
    merge_refusal,
)
from kesu.cases.models import Case
from kesu.console.common import console_view, user_of
from kesu.core.errors import Conflict, Forbidden, ValidationFailed
from kesu.org.models import User
from kesu.triage.related import LinkedCase, case_links


def _as_case(linked: LinkedCase) -> Case:
    """An unsaved stand-in carrying what ``merge_refusal`` reads (pk, number, statuses)."""
    return Case(pk=linked.pk, number=linked.number, status=linked.status, resume_status=linked.resume_status)


def related_context(case: Case, user: User) -> dict[str, Any]:
    """The card's data: links both ways (only cases ``user`` may see), merge and crisis actions.

    ``mergeable`` holds the possible duplicates that ``user`` may merge into ``case`` now.
    """
    links = case_links(case, cases_visible_to(user))
    mergeable = {c.number for c in links.duplicates if merge_refusal(_as_case(c), case, user) is None}
    crisis = links.crisis
    return {
        "links": links,
        "mergeable": mergeable,
        "crisis": crisis,
        "crisis_team": list(crisis.team.all()) if crisis else [],
        "can_flag": crisis is None and user.role in CRISIS_FLAGGERS,
        "can_resolve": crisis is not None and can_resolve_crisis(user, crisis),
    }


@console_view
def case_related(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    case = access_case(user, number)
    context = {"case": case, "related": related_context(case, user)}
    return render(request, "console/_case_related.html", context)


@console_view
def case_merge(request: HttpRequest, number: str, duplicate: str) -> HttpResponse:
    """Confirm (GET) and perform (POST) merging ``duplicate`` into case ``number``, which is kept."""
    user = user_of(request)
    kept, dup = access_case(user, number), access_case(user, duplicate)
    refusal = merge_refusal(dup, kept, user)
    if isinstance(refusal, Forbidden):
        raise refusal
    reason = ""
    if request.method == "POST" and refusal is None:
        reason = request.POST.get("reason", "")[:2000]
        try:
            do_merge_case(dup, into=kept, reason=reason, actor=user)
        except (ValidationFailed, Conflict) as exc:
            refusal = exc
        else:
            messages.success(request, _("Case {duplicate} was merged into this case.").format(
                duplicate=dup.number))
            return redirect("console:case_detail", number=kept.number)
    status = refusal.status if refusal is not None and request.method == "POST" else 200
    return render(request, "console/case_merge.html",
                  {"kept": kept, "duplicate": dup, "refusal": refusal, "reason": reason}, status=status)


@console_view
@require_POST
def case_crisis(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    case = access_case(user, number)
    try:
        do_flag_crisis(case, reason=request.POST.get("reason", "")[:2000], actor=user)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The case is flagged as a crisis; the crisis team was notified."))
    return redirect("console:case_detail", number=case.number)


@console_view
@require_POST
def case_crisis_resolve(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    case = access_case(user, number)
    try:
        do_resolve_crisis(case, note=request.POST.get("note", "")[:2000], actor=user)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The crisis is marked as resolved."))
    return redirect("console:case_detail", number=case.number)


#: The lead adds these to ``kesu/console/urls.py``: ``urlpatterns += views_links.urlpatterns``.
urlpatterns = [
    path("cases/<str:number>/related/", case_related, name="case_related"),
    path("cases/<str:number>/merge/<str:duplicate>/", case_merge, name="case_merge"),
    path("cases/<str:number>/crisis/", case_crisis, name="case_crisis"),
    path("cases/<str:number>/crisis/resolve/", case_crisis_resolve, name="case_crisis_resolve"),
]
