"""The workflow panel of the case page: move the status, assign, write to the communication log.

Each POST parses a form, calls one action and redirects back to the case; on a domain error the
case page is shown again with the form and its message (ARCHITECTURE rule 1).
"""

from __future__ import annotations

from collections.abc import Callable

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

KesuForm = TransitionForm | AssignForm | MessageForm


def _act(request: HttpRequest, case: Case, form: KesuForm, form_name: str,
         act: Callable[[], str]) -> HttpResponse:
    """Run ``act`` (one action, returning the success message) if the form is valid.

    Success redirects to the case page with the message; a domain error is shown on the
    form, and the page is rendered again with it (nothing typed is lost).
    """
    if form.is_valid():
        try:
            message = act()
        except KesuError as exc:
            form.add_kesu_error(exc)
        else:
            messages.success(request, message)
            return redirect("console:case_detail", number=case.number)
    return render_detail(request, case, status=422, **{form_name: form})  # type: ignore[arg-type]


@console_view
@require_POST
def case_transition(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    case = access_case(user, number)
    form = TransitionForm(request.POST)

    def act() -> str:
        d = form.cleaned_data
        moved = do_transition_case(case, d["to"], reason=d["reason"], actor=user)
        return _("The case is now: {status}.").format(status=moved.get_status_display())

    return _act(request, case, form, "transition_form", act)


@console_view
@require_POST
def case_assign(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    case = access_case(user, number)
    form = AssignForm.for_case(case, request.POST)

    def act() -> str:
        done = do_assign_case(case, form.to_assignment(), actor=user)
        return _("Assigned to {owner} ({department}).").format(
            owner=done.owner or _("nobody yet"), department=done.department or "—")

    return _act(request, case, form, "assign_form", act)


@console_view
@require_POST
def case_message(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    case = access_case(user, number)
    form = MessageForm(request.POST)

    def act() -> str:
        do_add_message(case, form.to_message(), actor=user)
        return _("Recorded in the communication log.")

    return _act(request, case, form, "message_form", act)
