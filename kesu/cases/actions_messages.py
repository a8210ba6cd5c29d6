"""The communication log of a case (WF-5): replies, internal notes, calls, visits, e-mails.

A customer-visible reply stops the first-response clock; a promised reply time ("到承诺的时间
一定要给对方答复") becomes a clock of its own. E-mail intake records inbound mail here with
``actor=None`` and the Message-ID as ``external_id``, so a redelivered mail is kept once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.cases import events
from kesu.cases.access import ensure_visible
from kesu.cases.actions import store_attachment
from kesu.cases.attachments import CheckedFile
from kesu.cases.choices import MessageDirection, MessageKind
from kesu.cases.effects import after_change, people_on
from kesu.cases.events import EventType
from kesu.cases.models import Case, CaseMessage
from kesu.core.errors import Forbidden, ValidationFailed
from kesu.org.models import User
from kesu.org.roles import Cap, has_cap
from kesu.sla.actions import do_track_promise


@dataclass(frozen=True)
class NewMessage:
    kind: str  # MessageKind
    direction: str  # MessageDirection
    body: str
    visible_to_customer: bool
    subject: str = ""
    occurred_at: datetime | None = None
    contact: str = ""  # the e-mail address or phone number on the other side
    external_id: str = ""  # e.g. a Message-ID; a repeat returns the message already recorded
    attachments: list[CheckedFile] = field(default_factory=list)
    promised_reply_at: datetime | None = None  # "we will answer by …", tracked like a clock


def _validate(data: NewMessage) -> None:
    errors: dict[str, list[str]] = {}
    if data.kind not in MessageKind.values:
        errors["kind"] = [_("Unknown value {value}. Allowed: {allowed}.").format(
            value=data.kind, allowed=", ".join(MessageKind.values))]
    if data.direction not in MessageDirection.values:
        errors["direction"] = [_("Unknown value {value}. Allowed: {allowed}.").format(
            value=data.direction, allowed=", ".join(MessageDirection.values))]
    if not data.body.strip():
        errors["body"] = [_("Please write the content.")]
    if data.kind == MessageKind.NOTE and data.visible_to_customer:
        errors["visible_to_customer"] = [_("An internal note is never shown to the customer.")]
    for name, value in (("occurred_at", data.occurred_at), ("promised_reply_at", data.promised_reply_at)):
        if value is not None and timezone.is_naive(value):
            errors[name] = [_("Give a time zone, e.g. +08:00.")]
    if data.promised_reply_at is not None and data.promised_reply_at <= timezone.now() and not errors:
        errors["promised_reply_at"] = [_("The promised time must be in the future.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)


def do_add_message(case: Case, data: NewMessage, *, actor: User | None) -> CaseMessage:
    """Record one entry of the communication log; ``actor=None`` is a system channel (e-mail)."""
    if actor is not None:
        ensure_visible(actor, case)
        if not has_cap(actor.role, Cap.CASE_ATTACH):
            raise Forbidden(_("Your role may not write to the communication log."))
    _validate(data)
    if data.external_id:
        existing = CaseMessage.objects.filter(case=case, external_id=data.external_id[:250]).first()
        if existing is not None:
            return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            return _record(case, data, actor=actor, now=now)
    except IntegrityError:
        if not data.external_id:
            raise
        return CaseMessage.objects.get(case=case, external_id=data.external_id[:250])


def _record(case: Case, data: NewMessage, *, actor: User | None, now: datetime) -> CaseMessage:
    locked = events.lock_case(case)
    message = CaseMessage.objects.create(
        case=locked, kind=data.kind, direction=data.direction,
        visible_to_customer=data.visible_to_customer, subject=data.subject.strip()[:200],
        body=data.body, contact=data.contact.strip()[:200], occurred_at=data.occurred_at or now,
        author=actor, external_id=data.external_id[:250],
    )
    for checked in data.attachments:
        attachment = store_attachment(locked, checked, actor, head_locked=True)
        if attachment is not None:
            attachment.message = message
            attachment.save(update_fields=["message"])
    events.append(locked, EventType.MESSAGE_ADDED, actor=actor, head_locked=True, data={"new": {
        "message_id": message.pk, "message_kind": message.kind, "direction": message.direction,
        "visible_to_customer": message.visible_to_customer, "subject": message.subject,
        "promised_reply_at": data.promised_reply_at.isoformat() if data.promised_reply_at else None,
    }})
    if data.promised_reply_at is not None:
        do_track_promise(locked, data.promised_reply_at, actor=actor, at=now)
    customer_reply = data.visible_to_customer and data.direction == MessageDirection.OUTBOUND
    after_change(
        locked, at=now, trigger="reply_sent" if customer_reply else None,
        event="case.reply_added", actor=actor, recipients=people_on(locked),
        context={"author": str(actor) if actor else message.contact, "excerpt": message.body[:140],
                 "subject": message.subject, "internal": not message.visible_to_customer,
                 "kind": message.kind, "direction": message.direction},
    )
    return message
