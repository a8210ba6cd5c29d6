"""The case page: everything the detail view shows, with any form that failed passed back in.

Shared by the case views and the workflow views, which re-render it with a form's errors.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kesu.cases.choices import Status
from kesu.cases.completeness import describe_missing
from kesu.cases.models import Case
from kesu.cases.workflow import ASSIGNERS, allowed_targets, move_for
from kesu.console.common import user_of
from kesu.console.forms import AttachmentForm, ClassifyForm
from kesu.console.forms_workflow import AssignForm, MessageForm, TransitionForm
from kesu.console.timeline import case_timeline
from kesu.console.views_links import related_context
from kesu.org.masking import contact_for
from kesu.org.models import User
from kesu.org.roles import Cap, has_cap
from kesu.sla.queries import clock_views
from kesu.triage.views import triage_panel


def render_detail(request: HttpRequest, case: Case, *, status: int = 200,
                  classify_form: ClassifyForm | None = None, attach_form: AttachmentForm | None = None,
                  transition_form: TransitionForm | None = None, assign_form: AssignForm | None = None,
                  message_form: MessageForm | None = None) -> HttpResponse:
    """The detail page; a form that failed validation is passed in to show its errors."""
    user = user_of(request)
    if classify_form is None and has_cap(user.role, Cap.CASE_CLASSIFY):
        classify_form = ClassifyForm.for_case(case)
    if attach_form is None and has_cap(user.role, Cap.CASE_ATTACH):
        attach_form = AttachmentForm()
    if assign_form is None and user.role in ASSIGNERS:
        assign_form = AssignForm.for_case(case)
    if message_form is None and has_cap(user.role, Cap.CASE_ATTACH):
        message_form = MessageForm()
    cust = case.customer
    context = {
        "case": case,
        "contact": contact_for(user, phone=cust.phone if cust else "", email=cust.email if cust else "",
                               address=cust.address if cust else ""),
        "missing": describe_missing(case.missing_fields),
        "attachments": case.attachments.select_related("uploaded_by"),
        "timeline": case_timeline(case, user),
        "classify_form": classify_form,
        "attach_form": attach_form,
        "moves": status_moves(case, user),
        "transition_form": transition_form,
        "assign_form": assign_form,
        "message_form": message_form,
        "case_messages": case.messages.select_related("author"),
        "clocks": clock_views(case, now=timezone.now()),
        "related": related_context(case, user),
        "triage": triage_panel(case, user),
    }
    return render(request, "console/case_detail.html", context, status=status)


def status_moves(case: Case, user: User) -> list[dict[str, Any]]:
    """The buttons of the status panel: each move this user may make now."""
    moves = []
    for target in allowed_targets(case.status, user.role, case.resume_status):
        move = move_for(case.status, target, case.resume_status)
        moves.append({"to": target, "label": Status(target).label,
                      "needs_reason": bool(move and move.needs_reason)})
    return moves
