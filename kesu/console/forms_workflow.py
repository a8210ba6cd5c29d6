"""Forms of the case workflow panel: a status move, an assignment, a communication-log entry."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kesu.cases.actions_messages import NewMessage
from kesu.cases.actions_workflow import OWNER_ROLES, Assignment
from kesu.cases.choices import MessageDirection, MessageKind, Status
from kesu.cases.models import Case
from kesu.console.forms import KesuErrorsMixin, StyledForm, set_choices
from kesu.org.models import Department, User


class TransitionForm(KesuErrorsMixin, StyledForm):
    to = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(KesuErrorsMixin, StyledForm):
    department = forms.ChoiceField(label=_("Responsible department"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    coordinator = forms.ChoiceField(label=_("Coordinator"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000,
                             help_text=_("Required when the case already has an owner."))

    @classmethod
    def for_case(cls, case: Case, data: object = None) -> AssignForm:
        """Choices: every department, and the people who may work on this case's org unit."""
        form = cls(data) if data is not None else cls(initial={
            "department": case.department.code if case.department else "",
            "owner": case.owner.username if case.owner else "",
            "coordinator": case.coordinator.username if case.coordinator else "",
        })
        people = [(u.username, f"{u} · {u.department or u.get_role_display()}") for u in candidates(case)]
        set_choices(form, "department", [("", str(_("— by the routing rules —")))]
                    + [(d.code, d.name) for d in Department.objects.order_by("code")])
        set_choices(form, "owner", [("", str(_("— pick by the department's rule —"))), *people])
        set_choices(form, "coordinator", [("", str(_("— none —"))), *people])
        return form

    def to_assignment(self) -> Assignment:
        d = self.cleaned_data
        return Assignment(department=d["department"], owner=d["owner"], coordinator=d["coordinator"],
                          reason=d["reason"])


def candidates(case: Case) -> list[User]:
    """Active users with a working role whose scope includes the case's org unit."""
    users = User.objects.filter(is_active=True, role__in=OWNER_ROLES).select_related("department", "org_unit")
    return [u for u in users.order_by("department__code", "username")[:500]
            if u.org_unit is not None and case.org_unit.path.startswith(u.org_unit.path)]


class MessageForm(KesuErrorsMixin, StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=MessageKind.choices, initial=MessageKind.REPLY)
    direction = forms.ChoiceField(label=_("Direction"), choices=MessageDirection.choices,
                                  initial=MessageDirection.OUTBOUND)
    visible_to_customer = forms.BooleanField(label=_("Visible to the customer"), required=False)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=200)
    body = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000)
    contact = forms.CharField(label=_("Contact"), required=False, max_length=200,
                              help_text=_("The phone number or e-mail address used."))
    promised_reply_at = forms.DateTimeField(
        label=_("Promised reply by"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("If you promised the customer an answer by a time, it is tracked like a deadline."),
    )

    def to_message(self) -> NewMessage:
        d = self.cleaned_data
        return NewMessage(kind=d["kind"], direction=d["direction"], body=d["body"],
                          visible_to_customer=d["visible_to_customer"], subject=d["subject"],
                          contact=d["contact"], promised_reply_at=d["promised_reply_at"])

