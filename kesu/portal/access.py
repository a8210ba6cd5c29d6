"""The portal's read path: a customer reaches a case only by its secret token, or by number
together with the phone on the case (SE-4: no enumeration of case numbers).

Both lookups answer a wrong pair exactly like a missing case: one query with both conditions,
one ``NotFound`` with one message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.cases.choices import MessageDirection, Status
from kesu.cases.events import EventType
from kesu.cases.models import Case, CaseEvent, CaseMessage
from kesu.core.errors import NotFound
from kesu.customers.actions import phone_key
from kesu.sla.models import CaseClock

_IN_PROGRESS = gettext_lazy("In progress")
_FINISHED = gettext_lazy("Completed")

#: What the customer reads for a status: the internal steps (investigation, approval,
#: escalation…) are the company's business; the customer sees where their case stands.
PUBLIC_STATUS_LABELS: dict[str, Promise] = {
    Status.NEW: gettext_lazy("Received"),
    Status.AWAITING_INFO: gettext_lazy("Waiting for information from you"),
    Status.REPLIED: gettext_lazy("We have replied"),
    Status.CALLBACK: gettext_lazy("Follow-up call"),
    Status.CLOSED: _FINISHED,
    Status.ARCHIVED: _FINISHED,
    Status.REJECTED: _FINISHED,
}


def public_status_label(code: str) -> str:
    return str(PUBLIC_STATUS_LABELS.get(code, _IN_PROGRESS))


def case_by_token(token: str) -> Case:
    case = (
        Case.objects.filter(tracking_token=token)
        .select_related("org_unit", "customer")
        .first()
        if token
        else None
    )
    if case is None:
        raise NotFound(_("We could not find this case. Please check the link."))
    return case


def normalise_number(number: str) -> str:
    return "".join(number.split()).upper()


def case_by_number_and_phone(number: str, phone: str) -> Case:
    """The case with this number whose customer has this phone (compared by digits)."""
    key = phone_key(phone)
    case = (
        Case.objects.filter(number=normalise_number(number), customer__phone_key=key)
        .only("tracking_token")
        .first()
        if key
        else None
    )
    if case is None:
        raise NotFound(_("No case matches this case number and phone number."))
    return case


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    text: str
    reply: bool = False  # our words to the customer, shown as a reply


def _status_of(data: object) -> str:
    new = data.get("new") if isinstance(data, dict) else None
    status = new.get("status") if isinstance(new, dict) else new
    return status if isinstance(status, str) else ""


def public_history(case: Case) -> list[PublicEvent]:
    """Receipt, public status changes and our customer-visible replies; nothing internal.

    No actor, note, classification or other field. Internal steps that read the same to the
    customer ("in progress" after "in progress") are shown once.
    """
    rows = (
        CaseEvent.objects.filter(case=case, type__in=[EventType.CREATED, EventType.STATUS_CHANGED])
        .order_by("seq")
        .values_list("type", "at", "data")
    )
    history: list[PublicEvent] = []
    last_label = ""
    for type_, at, data in rows:
        if type_ == EventType.CREATED:
            history.append(PublicEvent(at, _("Your case was received.")))
        elif (status := _status_of(data)) and (label := public_status_label(status)) != last_label:
            history.append(PublicEvent(at, _("Status: {status}").format(status=label)))
            last_label = label
    replies = CaseMessage.objects.filter(
        case=case, visible_to_customer=True, direction=MessageDirection.OUTBOUND
    ).values_list("occurred_at", "body")
    history += [PublicEvent(at, body, reply=True) for at, body in replies]
    return sorted(history, key=lambda e: e.at)


def promised_due_at(case: Case) -> datetime | None:
    """The deadline of the case's open promise clock, else of its open reply clock (WF-4, WF-5)."""
    due = dict(
        CaseClock.objects.filter(case=case, code__in=("promise", "reply"), stopped_at__isnull=True)
        .values_list("code", "due_at")
    )
    return due.get("promise") or due.get("reply")
