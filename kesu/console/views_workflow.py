"""The workflow panel of the case page: move the status, assign, write to the communication log.

Each POST parses a form, calls one action and redirects back to the case; on a domain error the
case page is shown again with the form and its message (ARCHITECTURE rule 1).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesu.cases.access import access_case
from kesu.cases.actions_messages import do_add_message
from kesu.cases.actions_workflow import do_assign_case, do_transition_case
from kesu.cases.models import Case
from kesu.console.case_page import render_detail
from kesu.console.common import console_view, user_of
from kesu.console.forms_workflow import AssignForm, MessageForm, TransitionForm
from kesu.core.errors import KesuError


def _back(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("console:case_detail", number=case.number)


@console_view
@require_POST
def case_transition(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    case = access_case(user, number)
    form = TransitionForm(request.POST)
    if form.is_valid():
        try:
            case = do_transition_case(case, form.cleaned_data["to"], reason=form.cleaned_data["reason"],
                                      actor=user)
        except KesuError as exc:
            form.add_kesu_error(exc)
        else:
            return _back(request, case, _("The case is now: {status}.").format(
                status=case.get_status_display()))
    return render_detail(request, case, status=422, transition_form=form)


@console_view
@require_POST
def case_assign(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    case = access_case(user, number)
    form = AssignForm.for_case(case, request.POST)
    if form.is_valid():
        try:
            case = do_assign_case(case, form.to_assignment(), actor=user)
        except KesuError as exc:
            form.add_kesu_error(exc)
        else:
            return _back(request, case, _("Assigned to {owner} ({department}).").format(
                owner=case.owner or _("nobody yet"), department=case.department or "—"))
    return render_detail(request, case, status=422, assign_form=form)


@console_view
@require_POST
def case_message(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    case = access_case(user, number)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            do_add_message(case, form.to_message(), actor=user)
        except KesuError as exc:
            form.add_kesu_error(exc)
        else:
            return _back(request, case, _("Recorded in the communication log."))
    return render_detail(request, case, status=422, message_form=form)
