"""Every write of e-mail intake (IN-1): a mail becomes a case or a reply; mailbox configuration.

Pipe (``kesu ingest-email``) and IMAP polling both call ``do_ingest_email``. The rules — one
record per Message-ID, reply only from the case's customer, automatic mail ignored — are in
docs/adr/0007-email-intake.md.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.cases import events
from kesu.cases.actions import NewCase, do_create_case
from kesu.cases.actions_messages import NewMessage, do_add_message
from kesu.cases.attachments import CheckedFile, check_upload
from kesu.cases.choices import Kind
from kesu.cases.models import Case
from kesu.core import audit
from kesu.core.errors import KesuError, ValidationFailed
from kesu.customers.actions import CustomerInput, email_key
from kesu.mailin.choices import ATTACHMENT_REJECTED, Outcome, Security
from kesu.mailin.models import IngestedMessage, Mailbox
from kesu.mailin.parse import MailAttachment, ParsedMail, parse_message
from kesu.org.models import OrgUnit, User

CASE_NUMBER = re.compile(r"\bKS-\d{6}-\d{5}\b", re.IGNORECASE)
DEFAULT_MAILBOX = "default"


@dataclass(frozen=True)
class IngestResult:
    """What became of a message. ``duplicate`` is True when it had been taken in before."""

    outcome: str
    record: IngestedMessage
    case: Case | None = None
    duplicate: bool = False
    rejected_attachments: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Target:
    """Where a mail goes: a reply on ``case``, else a new case.

    ``mentioned`` is a case number the subject named that did not take the mail, and ``why``
    says why: "sender" (not that case's customer), "refused" (the case took no message) or
    "unknown" (no such case).
    """

    case: Case | None
    mentioned: str = ""
    why: str = ""


def do_ingest_email(
    raw: bytes, *, mailbox: str = DEFAULT_MAILBOX, received_at: datetime | None = None
) -> IngestResult:
    """Take in one raw message: a new case, a reply on an existing case, or ignored.

    Idempotent by Message-ID (else the sha256 of the bytes): a repeat changes nothing and
    returns the first result with ``duplicate=True``. Raises ``ValidationFailed`` (code
    ``unparseable_email``) for input that is not an e-mail message, and ``ValidationFailed``
    for an unknown mailbox name. ``received_at`` is when the mail server got the message
    (IMAP INTERNALDATE); default now.
    """
    parsed = parse_message(raw)
    if not parsed.has_headers:
        raise ValidationFailed(
            _("The input is not an e-mail message: it has no From header."), code="unparseable_email"
        )
    if (known := _known(parsed.key)) is not None:
        return known
    box = _mailbox(mailbox)
    now = timezone.now()
    when = min(received_at, now) if received_at is not None else now
    try:
        with transaction.atomic():
            record = IngestedMessage.objects.create(
                message_id=parsed.key, mailbox=box.name, outcome=Outcome.IGNORED, received_at=when,
                sender=parsed.from_address[:254], subject=parsed.subject[:300],
            )
            return _dispatch(parsed, box, record)
    except IntegrityError:
        # The same message was taken in concurrently (two pollers, two mailboxes): theirs counts.
        if (known := _known(parsed.key)) is not None:
            return known
        raise


def _known(key: str) -> IngestResult | None:
    row = IngestedMessage.objects.select_related("case").filter(message_id=key).first()
    if row is None:
        return None
    return IngestResult(row.outcome, row, row.case, duplicate=True,
                        rejected_attachments=list(row.rejected_attachments))


def _dispatch(parsed: ParsedMail, box: Mailbox, record: IngestedMessage) -> IngestResult:
    if reason := _ignore_reason(parsed):
        record.reason = reason
        record.save(update_fields=["reason"])
        return IngestResult(Outcome.IGNORED, record)
    files, rejected = _check_attachments(parsed.attachments)
    target = _reply_target(parsed)
    case: Case | None = None
    outcome = Outcome.NEW_CASE
    if target.case is not None:
        message_pk = _add_reply(target.case, parsed, record, files)
        if message_pk is not None:
            case, outcome, record.case_message_id = target.case, Outcome.REPLY, message_pk
        else:
            target = _Target(None, mentioned=target.case.number, why="refused")
            _rewind(files)
    if case is None:
        case = _create_case(parsed, box, record, files, target)
        record.reason = f"{target.why}:{target.mentioned}" if target.mentioned else ""
    for item in rejected:
        events.append(case, ATTACHMENT_REJECTED, actor=None, data={"new": {
            "name": item["name"], "reason": item["message"], "message_id": parsed.key}})
    record.case, record.outcome, record.rejected_attachments = case, outcome, rejected
    record.save(update_fields=["case", "outcome", "rejected_attachments", "case_message_id", "reason"])
    return IngestResult(outcome, record, case, rejected_attachments=rejected)


def _ignore_reason(parsed: ParsedMail) -> str:
    """Automatic mail, and mail from our own addresses, is never answered nor made a case."""
    if parsed.automatic:
        return parsed.automatic
    sender = email_key(parsed.from_address)
    own = {email_key(settings.DEFAULT_FROM_EMAIL)}
    own.update(email_key(a) for a in Mailbox.objects.exclude(address="").values_list("address", flat=True))
    if sender and sender in own:
        return "own-address"
    return ""


def _mailbox(name: str) -> Mailbox:
    box = Mailbox.objects.select_related("default_org_unit").filter(name=name).first()
    if box is not None:
        return box
    if name != DEFAULT_MAILBOX:
        raise ValidationFailed(_("No mailbox is called {name}.").format(name=name), code="unknown_mailbox",
                               fields={"mailbox": [_("Unknown mailbox.")]})
    # Piped mail works before any mailbox is configured: it goes to the root of the org tree.
    root = OrgUnit.objects.filter(parent__isnull=True, is_active=True).order_by("pk").first()
    if root is None:
        raise ValidationFailed(_("There is no org unit yet: run kesu init first."), code="no_org_unit")
    return Mailbox(name=DEFAULT_MAILBOX, default_org_unit=root)


def _check_attachments(items: list[MailAttachment]) -> tuple[list[CheckedFile], list[dict[str, str]]]:
    """Files that pass the type and size check; the others are reported, never fatal."""
    files: list[CheckedFile] = []
    rejected: list[dict[str, str]] = []
    for item in items:
        try:
            files.append(check_upload(io.BytesIO(item.data), item.filename))
        except ValidationFailed as exc:
            rejected.append({"name": item.filename, "code": exc.code, "message": str(exc.message)})
    return files, rejected


def _rewind(files: list[CheckedFile]) -> None:
    for f in files:
        f.stream.seek(0)


def _reply_target(parsed: ParsedMail) -> _Target:
    """The case this mail answers, if it names one (subject number, else In-Reply-To/References).

    The rule: a reply is accepted only from the case's customer's e-mail address (or an address
    that mailed into the same case before). A known number from anyone else starts a new case
    that mentions the number, so a stranger cannot write into someone else's case.
    """
    sender = email_key(parsed.from_address)
    numbers = [m.upper() for m in CASE_NUMBER.findall(parsed.subject)]
    for number in numbers:
        case = Case.objects.select_related("customer").filter(number=number).first()
        if case is not None:
            return _Target(case) if _sender_belongs(case, sender) else _Target(None, number, "sender")
    if numbers:
        return _Target(None, numbers[0], "unknown")
    ids = [i for i in [parsed.in_reply_to, *parsed.references] if i]
    if ids:
        earlier = (IngestedMessage.objects.select_related("case__customer")
                   .filter(message_id__in=ids, case__isnull=False).order_by("-created_at").first())
        if earlier is not None and earlier.case is not None and _sender_belongs(earlier.case, sender):
            return _Target(earlier.case)
    return _Target(None)


def _sender_belongs(case: Case, sender: str) -> bool:
    if not sender:
        return False
    if case.customer is not None and case.customer.email_key == sender:
        return True
    return IngestedMessage.objects.filter(case=case, sender__iexact=sender).exists()


def _add_reply(
    case: Case, parsed: ParsedMail, record: IngestedMessage, files: list[CheckedFile]
) -> int | None:
    """Add the mail to the case's communication log; None if the case refuses it (e.g. archived)."""
    data = NewMessage(
        kind="email", direction="inbound", body=parsed.reply_text or parsed.subject or "-",
        visible_to_customer=True, subject=parsed.subject[:200], occurred_at=record.received_at,
        contact=parsed.from_address, external_id=parsed.key, attachments=files,
    )
    try:
        with transaction.atomic():
            message = do_add_message(case, data, actor=None)
    except KesuError:
        return None
    return int(message.pk)


def _mention_note(target: _Target) -> str:
    if target.why == "sender":
        note = _("[E-mail intake: the subject names case {number}, but the sender is not that case's "
                 "customer, so this mail was registered as a new case.]")
    elif target.why == "refused":
        note = _("[E-mail intake: the subject names case {number}, which could not take a new message, "
                 "so this mail was registered as a new case.]")
    else:
        note = _("[E-mail intake: the subject names case {number}, which does not exist.]")
    return note.format(number=target.mentioned)


def _create_case(
    parsed: ParsedMail, box: Mailbox, record: IngestedMessage, files: list[CheckedFile], target: _Target
) -> Case:
    description = parsed.text or parsed.subject or _("(The e-mail had no text.)")
    if target.mentioned:
        description += "\n\n" + _mention_note(target)
    data = NewCase(
        kind=box.default_kind or "complaint", channel="email", title=parsed.subject.strip()[:200],
        description=description, org_unit=box.default_org_unit.code,
        customer=CustomerInput(name=parsed.from_name[:120], email=parsed.from_address[:254]),
        received_at=record.received_at, attachments=files,
    )
    return do_create_case(data, actor=None, idempotency_key="mail:" + parsed.key).case


# --- mailboxes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewMailbox:
    name: str
    org_unit: str  # org unit code
    address: str = ""
    host: str = ""
    port: int = 993
    security: str = "ssl"
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    processed_folder: str = ""
    kind: str = "complaint"
    is_active: bool = True


def _check_mailbox(data: NewMailbox, *, pk: int | None = None) -> OrgUnit:
    """The rules of a mailbox, shared by add and edit; returns its default org unit."""
    errors: dict[str, list[str]] = {}
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,60}", data.name):
        errors["name"] = [_("Use 1 to 60 letters, digits, dots, dashes or underscores.")]
    elif Mailbox.objects.filter(name=data.name).exclude(pk=pk or 0).exists():
        errors["name"] = [_("A mailbox with this name exists already.")]
    unit = OrgUnit.objects.filter(code=data.org_unit, is_active=True).first()
    if unit is None:
        errors["org_unit"] = [_("No org unit has this code.")]
    if data.security not in Security.values:
        errors["security"] = [_("Unknown value {value}.").format(value=data.security)]
    if data.kind not in Kind.values:
        errors["kind"] = [_("Unknown value {value}.").format(value=data.kind)]
    if data.host and not data.username:
        errors["username"] = [_("An IMAP mailbox needs a user name.")]
    if not 0 < data.port < 65536:
        errors["port"] = [_("Not a valid port.")]
    errors.update(_text_errors(data))
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    assert unit is not None
    return unit


#: NewMailbox text fields checked against the model's column length (PostgreSQL would refuse a
#: longer value with a DataError, SQLite would store it).
_LENGTH_CHECKED = ("address", "host", "username", "password", "folder", "processed_folder")


def _text_errors(data: NewMailbox) -> dict[str, list[str]]:
    """Too-long text and a malformed own address: refused here, not by the database."""
    errors: dict[str, list[str]] = {}
    for key in _LENGTH_CHECKED:
        column = Mailbox._meta.get_field(key)
        assert isinstance(column, models.CharField)  # EmailField is one too
        limit = column.max_length or 0
        value: str = getattr(data, key)
        if len(value.strip() if key in ("address", "host") else value) > limit:
            errors[key] = [_("At most {n} characters.").format(n=limit)]
    address = data.address.strip()
    if address and "address" not in errors:
        try:
            validate_email(address)
        except DjangoValidationError:
            errors["address"] = [_("Not a valid e-mail address.")]
    return errors


def _mailbox_values(data: NewMailbox, unit: OrgUnit) -> dict[str, Any]:
    return {
        "name": data.name, "address": data.address.strip(), "host": data.host.strip(), "port": data.port,
        "security": data.security, "username": data.username, "password": data.password,
        "folder": data.folder or "INBOX", "processed_folder": data.processed_folder,
        "default_org_unit": unit, "default_kind": data.kind, "is_active": data.is_active,
    }


def _audited(values: dict[str, Any]) -> dict[str, Any]:
    """Mailbox values for the audit log: the org unit by code, never the password."""
    shown = {k: v for k, v in values.items() if k != "password"}
    if "default_org_unit" in shown:
        shown["default_org_unit"] = shown["default_org_unit"].code
    return shown


def do_create_mailbox(data: NewMailbox, *, actor: User | None) -> Mailbox:
    """Add a mailbox (admins, via ``kesu mailbox add``); audited without the password."""
    unit = _check_mailbox(data)
    values = _mailbox_values(data, unit)
    with transaction.atomic():
        try:
            with transaction.atomic():
                box = Mailbox.objects.create(**values)
        except IntegrityError as exc:
            raise ValidationFailed(_("A mailbox with this name exists already."),
                                   fields={"name": [_("Taken.")]}) from exc
        audit.record("mailin.mailbox_created", actor=actor, object_type="mailbox", object_id=box.pk,
                     data={"new": _audited(values)})
    return box


def mailbox_data(box: Mailbox) -> NewMailbox:
    """A mailbox's current settings, to change a few with ``dataclasses.replace``."""
    return NewMailbox(
        name=box.name, org_unit=box.default_org_unit.code, address=box.address, host=box.host,
        port=box.port, security=box.security, username=box.username, password=box.password,
        folder=box.folder, processed_folder=box.processed_folder, kind=box.default_kind,
        is_active=box.is_active,
    )


def do_update_mailbox(box: Mailbox, data: NewMailbox, *, actor: User | None) -> Mailbox:
    """Replace a mailbox's settings with ``data``.

    The audit log gets the changed fields (of the password only that it changed). The last
    error is cleared: the settings it came from are gone.
    """
    unit = _check_mailbox(data, pk=box.pk)
    values = _mailbox_values(data, unit)
    with transaction.atomic():
        locked = Mailbox.objects.select_for_update().select_related("default_org_unit").get(pk=box.pk)
        changed = [k for k, v in values.items() if getattr(locked, k) != v]
        if not changed:
            return locked
        old = _audited({k: getattr(locked, k) for k in changed})
        new = _audited({k: values[k] for k in changed})
        for key in changed:
            setattr(locked, key, values[key])
        locked.last_error = ""
        locked.save(update_fields=[*changed, "last_error"])
        if "password" in changed:
            new["password_changed"] = True
        audit.record("mailin.mailbox_updated", actor=actor, object_type="mailbox", object_id=locked.pk,
                     data={"old": old, "new": new})
    return locked


def do_record_poll(mailbox: Mailbox, *, error: str = "") -> None:
    """Note a finished poll and its error ("" when it went well), shown by ``kesu mailbox list``."""
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=error[:2000])
