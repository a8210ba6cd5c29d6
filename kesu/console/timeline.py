"""The case timeline: every event in order, with its data as readable old → new changes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import TextChoices
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kesu.cases.choices import (
    AssignmentMethod,
    Channel,
    Demand,
    Emotion,
    Kind,
    MessageDirection,
    MessageKind,
    Priority,
    Severity,
    Status,
    Validity,
)
from kesu.cases.completeness import describe_missing
from kesu.cases.events import EventType
from kesu.cases.models import Case, CaseEvent, Category
from kesu.org.masking import can_see_contact, mask_address, mask_email, mask_phone
from kesu.org.models import OrgUnit, User

EVENT_LABELS: dict[str, Promise] = {
    EventType.CREATED: _("Case registered"),
    EventType.UPDATED: _("Case changed"),
    EventType.CLASSIFIED: _("Classified"),
    EventType.ATTACHMENT_ADDED: _("Attachment added"),
    EventType.STATUS_CHANGED: _("Status changed"),
    EventType.VIEWED_CONTACT: _("Contact data viewed"),
    EventType.ASSIGNED: _("Assigned"),
    EventType.MESSAGE_ADDED: _("Communication recorded"),
    "mailin.attachment_rejected": _("E-mail attachment refused"),
    "case.linked": _("Related cases linked"),
    "case.merged": _("Cases merged"),
    "case.crisis": _("Flagged as crisis"),
    "case.crisis_resolved": _("Crisis resolved"),
    "case.triaged": _("Classification suggested"),
    "case.triage_reviewed": _("Suggestion reviewed"),
}

FIELD_LABELS: dict[str, Promise] = {
    "number": _("Case number"), "received_at": _("Received at"), "channel": _("Channel"),
    "kind": _("Kind"), "status": _("Status"), "title": _("Title"), "description": _("Description"),
    "emotion": _("Customer's emotion"), "demands": _("Customer's demands"),
    "customer_name": _("Customer name"), "order_ref": _("Order reference"), "org_unit": _("Org unit"),
    "intake_by": _("First responder"), "category": _("Category"), "validity": _("Validity"),
    "severity": _("Severity"), "priority": _("Priority"), "missing_fields": _("Missing information"),
    "product.name": _("Product"), "product.model": _("Model / specification"),
    "product.batch": _("Batch / lot"), "product.serial": _("Serial number"),
    "product.delivered_on": _("Delivery date"), "product.quantity": _("Quantity"),
    "product.defective_quantity": _("Defective quantity"),
    "name": _("File name"), "size": _("Size"), "content_type": _("Type"), "sha256": _("SHA-256"),
    "reason": _("Reason"), "note": _("Note"),
    "department": _("Responsible department"), "owner": _("Owner"), "coordinator": _("Coordinator"),
    "method": _("Assigned by"), "message_kind": _("Kind"), "direction": _("Direction"),
    "visible_to_customer": _("Visible to the customer"), "subject": _("Subject"),
    "promised_reply_at": _("Promised reply by"),
    "repeat_of": _("Repeat of"), "duplicate_of": _("Possible duplicate of"),
    "same_batch_as": _("Same batch as"),
    "merged_into": _("Merged into"), "merged_from": _("Merged from"), "team": _("Crisis team"),
    "repeats": _("Repeats"),
}

#: Internal keys that say nothing to a reader of the timeline.
HIDDEN_KEYS = {"customer_id", "message_id", "suggestions"}

CHOICES: dict[str, type[TextChoices]] = {
    "channel": Channel, "kind": Kind, "status": Status, "emotion": Emotion, "validity": Validity,
    "severity": Severity, "priority": Priority, "message_kind": MessageKind, "direction": MessageDirection,
    "method": AssignmentMethod,
}

EMPTY = "—"


@dataclass(frozen=True)
class Change:
    label: str
    old: str | None  # None: the event has no old value (a creation)
    new: str


@dataclass
class TimelineRow:
    seq: int
    at: Any
    actor: str
    type: str
    label: str
    changes: list[Change] = field(default_factory=list)
    is_creation: bool = False


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(data, dict):
        return {prefix or "value": data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and name == "product":
            out.update(_flatten(value, name))
        elif name not in HIDDEN_KEYS:
            out[name] = value
    return out


class _Formatter:
    """Turns stored codes into what a person reads: labels, local times, names, masked contacts."""

    def __init__(self, viewer: User, categories: dict[str, str], units: dict[str, str]) -> None:
        self.show_contact = can_see_contact(viewer)
        self.categories, self.units = categories, units

    def __call__(self, key: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return EMPTY
        leaf = key.rsplit(".", 1)[-1]
        special: dict[str, Callable[[Any], str]] = {
            "demands": lambda v: list_sep().join(str(_label(Demand, d)) for d in v),
            "missing_fields": lambda v: list_sep().join(describe_missing(list(v))),
            "category": lambda v: self.categories.get(v, str(v)),
            "org_unit": lambda v: self.units.get(v, str(v)),
            "received_at": _local_time, "at": _local_time, "due_at": _local_time,
            "promised_reply_at": _local_time,
            **dict.fromkeys(("repeat_of", "duplicate_of", "same_batch_as", "team"),
                            lambda v: list_sep().join(map(str, v))),
            "size": lambda v: str(filesizeformat(v)),
            "sha256": lambda v: str(v)[:16] + "…",
        }
        if leaf in CHOICES and isinstance(value, str):
            return str(_label(CHOICES[leaf], value))
        if leaf in special:
            return special[leaf](value)
        if not self.show_contact and leaf.endswith(("phone", "email", "address")):
            if leaf.endswith("phone"):
                return mask_phone(str(value))
            return mask_email(str(value)) if leaf.endswith("email") else mask_address(str(value))
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, bool):
            return str(_("yes") if value else _("no"))
        return str(value)


def list_sep() -> str:
    """The enumeration comma of the active language: 、 in Chinese."""
    return "、" if (get_language() or "").startswith("zh") else ", "


def _label(choices: type[TextChoices], code: str) -> Any:
    return choices(code).label if code in choices.values else code


def _local_time(value: Any) -> str:
    parsed = parse_datetime(str(value))
    if parsed is None:
        return str(value)
    return formats.date_format(timezone.localtime(parsed), "Y-m-d H:i")


def _changes(data: dict[str, Any], fmt: _Formatter) -> list[Change]:
    old, new = _flatten(data.get("old") or {}), _flatten(data.get("new") or {})
    extra = _flatten({k: v for k, v in data.items() if k not in ("old", "new")})
    has_old = "old" in data
    rows = []
    for key in [*new, *(k for k in old if k not in new)]:
        label = str(FIELD_LABELS.get(key, key))
        if has_old:
            rows.append(Change(label, fmt(key, old.get(key)), fmt(key, new.get(key))))
        elif new.get(key) not in (None, "", []):
            rows.append(Change(label, None, fmt(key, new.get(key))))
    rows += [Change(str(FIELD_LABELS.get(k, k)), None, fmt(k, v)) for k, v in extra.items()]
    return rows


def _lookups(events: Iterable[CaseEvent]) -> tuple[dict[str, str], dict[str, str]]:
    language = get_language() or ""
    categories = {c.code: c.label(language) for c in Category.objects.all()}
    unit_codes = {str(v) for e in events for part in (e.data.get("old"), e.data.get("new"))
                  if isinstance(part, dict) for k, v in part.items() if k == "org_unit" and v}
    units = dict(OrgUnit.objects.filter(code__in=unit_codes).values_list("code", "name"))
    return categories, units


def case_timeline(case: Case, viewer: User) -> list[TimelineRow]:
    """All events of ``case`` in sequence; three queries whatever the number of events."""
    events = list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("seq"))
    fmt = _Formatter(viewer, *_lookups(events))
    return [
        TimelineRow(
            seq=e.seq, at=e.at, type=e.type,
            actor=str(e.actor) if e.actor else (e.actor_name or str(_("System"))),
            label=str(EVENT_LABELS.get(e.type, e.type)),
            changes=_changes(e.data, fmt), is_creation=e.type == EventType.CREATED,
        )
        for e in events
    ]
