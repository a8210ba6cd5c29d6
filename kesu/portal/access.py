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

from kesu.cases.choices import Status
from kesu.cases.events import EventType
from kesu.cases.models import Case, CaseEvent
from kesu.core.errors import NotFound
from kesu.customers.actions import phone_key

#: What the customer reads for a status; statuses not listed here show their staff label.
PUBLIC_STATUS_LABELS: dict[str, Promise] = {
    Status.NEW: gettext_lazy("Received"),
    Status.AWAITING_INFO: gettext_lazy("Awaiting information"),
}


def public_status_label(code: str) -> str:
    if code in PUBLIC_STATUS_LABELS:
        return str(PUBLIC_STATUS_LABELS[code])
    return str(Status(code).label) if code in Status.values else str(gettext_lazy("In progress"))


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


def _status_of(data: object) -> str:
    new = data.get("new") if isinstance(data, dict) else None
    status = new.get("status") if isinstance(new, dict) else new
    return status if isinstance(status, str) else ""


def public_history(case: Case) -> list[PublicEvent]:
    """The receipt and status changes only: no actor, note, classification or other field."""
    rows = (
        CaseEvent.objects.filter(case=case, type__in=[EventType.CREATED, EventType.STATUS_CHANGED])
        .order_by("seq")
        .values_list("type", "at", "data")
    )
    history: list[PublicEvent] = []
    for type_, at, data in rows:
        if type_ == EventType.CREATED:
            history.append(PublicEvent(at, _("Your case was received.")))
        elif status := _status_of(data):
            history.append(PublicEvent(at, _("Status: {status}").format(status=public_status_label(status))))
    return history
