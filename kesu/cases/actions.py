"""Every write to a case: intake, classification, attachments (ARCHITECTURE rule 1).

Each action owns its transaction, writes the case events and re-checks that the actor can
still see the result. Pages, API, import, portal and e-mail intake all call these.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.cases import events, search
from kesu.cases.attachments import CheckedFile, as_django_file
from kesu.cases.choices import Channel, Demand, Emotion, Kind, Priority, Severity, Status, Validity
from kesu.cases.completeness import missing_fields
from kesu.cases.effects import after_change
from kesu.cases.events import EventType
from kesu.cases.intake_triage import triage_new_case
from kesu.cases.models import Attachment, Case, Category, IdempotencyKey
from kesu.cases.numbering import next_case_number
from kesu.core import sqlcache
from kesu.core.errors import Conflict, Forbidden, ValidationFailed
from kesu.customers.actions import CustomerInput, do_find_or_create_customer
from kesu.customers.models import Customer
from kesu.org.models import OrgUnit, User
from kesu.org.roles import Cap, has_cap
from kesu.org.scope import visible_unit_ids

CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ProductInput:
    name: str = ""
    model: str = ""
    batch: str = ""
    serial: str = ""
    delivered_on: date | None = None
    quantity: int | None = None
    defective_quantity: int | None = None


@dataclass(frozen=True)
class Classification:
    category: str = ""  # category code
    validity: str = ""
    severity: str = ""
    priority: str = ""


@dataclass(frozen=True)
class NewCase:
    kind: str
    channel: str
    description: str
    org_unit: str  # org unit code
    title: str = ""
    customer: CustomerInput = field(default_factory=CustomerInput)
    product: ProductInput = field(default_factory=ProductInput)
    demands: list[str] = field(default_factory=list)
    emotion: str = ""
    order_ref: str = ""
    received_at: datetime | None = None
    classification: Classification = field(default_factory=Classification)
    attachments: list[CheckedFile] = field(default_factory=list)

    def fingerprint(self) -> str:
        """A hash of the request content, to tell a retry from a reused idempotency key."""
        data = asdict(self)
        data["attachments"] = [a.sha256 for a in self.attachments]
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class IntakeResult:
    case: Case
    created: bool


def _check_choice(errors: dict[str, list[str]], name: str, value: str, allowed: list[str]) -> None:
    if value and value not in allowed:
        errors.setdefault(name, []).append(
            _("Unknown value {value}. Allowed: {allowed}.").format(value=value, allowed=", ".join(allowed))
        )


_KINDS, _CHANNELS, _DEMANDS = frozenset(Kind.values), frozenset(Channel.values), frozenset(Demand.values)
_CHOICE_FIELDS = (
    ("emotion", Emotion, frozenset(Emotion.values)),
    ("validity", Validity, frozenset(Validity.values)),
    ("severity", Severity, frozenset(Severity.values)),
    ("priority", Priority, frozenset(Priority.values)),
)


def field_errors(data: NewCase) -> dict[str, list[str]]:
    """The rules of a new case that need no database, shared by intake and bulk import.

    Set lookups first: ``TextChoices.values`` builds a list on every call and bulk import
    checks a million rows.
    """
    errors: dict[str, list[str]] = {}
    if data.kind not in _KINDS:
        _check_choice(errors, "kind", data.kind or "-", Kind.values)
    if data.channel not in _CHANNELS:
        _check_choice(errors, "channel", data.channel or "-", Channel.values)
    if not data.description.strip():
        errors.setdefault("description", []).append(_("Please describe the problem."))
    if len(data.title) > 200:
        errors.setdefault("title", []).append(_("At most 200 characters."))
    for demand in data.demands:
        if demand not in _DEMANDS:
            _check_choice(errors, "demands", demand, Demand.values)
    c = data.classification
    values = {"emotion": data.emotion, "validity": c.validity, "severity": c.severity, "priority": c.priority}
    for name, choices, allowed in _CHOICE_FIELDS:
        if values[name] and values[name] not in allowed:
            _check_choice(errors, name, values[name], choices.values)
    p = data.product
    if p.quantity is not None and p.quantity < 0:
        errors.setdefault("product.quantity", []).append(_("Must not be negative."))
    if p.defective_quantity is not None and p.quantity is not None and p.defective_quantity > p.quantity:
        errors.setdefault("product.defective_quantity", []).append(
            _("The defective quantity cannot exceed the quantity.")
        )
    if data.received_at is not None:
        if timezone.is_naive(data.received_at):
            errors.setdefault("received_at", []).append(_("Give a time zone, e.g. +08:00."))
        elif data.received_at > timezone.now() + CLOCK_SKEW:
            errors.setdefault("received_at", []).append(_("The time of receipt is in the future."))
    return errors


_UNIT_COLUMNS = tuple(f.attname for f in OrgUnit._meta.concrete_fields)


def active_unit(code: str) -> OrgUnit | None:
    """The active org unit with this code; its SQL compiled once (every intake asks)."""
    found = sqlcache.rows("cases.active_unit", lambda c: OrgUnit.objects.filter(
        code=c, is_active=True).values_list(*_UNIT_COLUMNS), code)
    if not found:
        return None
    return OrgUnit.from_db(connection.alias, list(_UNIT_COLUMNS), found[0])


_CATEGORY_COLUMNS = tuple(f.attname for f in Category._meta.concrete_fields)


def category_by_code(code: str, *, active: bool = True) -> Category | None:
    """The (active) category with this code; its SQL compiled once (intake and triage ask)."""
    if active:
        found = sqlcache.rows("cases.active_category", lambda c: Category.objects.filter(
            code=c, is_active=True).values_list(*_CATEGORY_COLUMNS), code)
    else:
        found = sqlcache.rows("cases.category", lambda c: Category.objects.filter(
            code=c).values_list(*_CATEGORY_COLUMNS), code)
    return Category.from_db(connection.alias, list(_CATEGORY_COLUMNS), found[0]) if found else None


def _validate(data: NewCase) -> tuple[OrgUnit, Category | None]:
    errors = field_errors(data)
    c = data.classification
    unit = active_unit(data.org_unit)
    if unit is None:
        errors.setdefault("org_unit", []).append(_("No org unit has this code."))
    category = None
    if c.category:
        category = category_by_code(c.category)  # code is unique: at most one row
        if category is None:
            errors.setdefault("category", []).append(_("No category has this code."))
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    assert unit is not None
    return unit, category


def _check_actor_may_create(actor: User | None, unit: OrgUnit) -> None:
    if actor is None:  # the public portal, e-mail intake: no staff actor
        return
    if not has_cap(actor.role, Cap.CASE_CREATE):
        raise Forbidden(_("Your role may not register cases."))
    ids = visible_unit_ids(actor)
    if ids is not None and unit.pk not in ids:
        raise ValidationFailed(
            _("You can only register cases for your own org unit and the units below it."),
            fields={"org_unit": [_("Outside your scope.")]},
        )


def _default_title(description: str) -> str:
    first_line = description.strip().splitlines()[0] if description.strip() else ""
    return first_line[:30] + ("…" if len(first_line) > 30 else "")


def idempotency_scope(actor: User | None) -> str:
    return f"user:{actor.pk}" if actor is not None else "portal"


def do_create_case(
    data: NewCase, *, actor: User | None, idempotency_key: str | None = None
) -> IntakeResult:
    """Register a case from any channel. A repeated idempotency key returns the first case."""
    unit, category = _validate(data)
    _check_actor_may_create(actor, unit)
    fingerprint = data.fingerprint()
    scope = idempotency_scope(actor)
    key = idempotency_key[:200] if idempotency_key else ""
    received_at = data.received_at or timezone.now()
    # The number is taken before the intake transaction, in autocommit (IN-3 allows gaps): so
    # concurrent intakes do not queue on the month's counter row for a whole intake. The same
    # statement declines when the idempotency key is already stored (a retry: replayed, no
    # number used). Inside a caller's transaction it is part of that transaction instead.
    number = next_case_number(received_at, unless_key=(scope, key) if key else None)
    if number is None:
        return _replay(actor, key, fingerprint)
    try:
        with transaction.atomic():
            case = _insert_case(data, unit, category, actor, number=number, received_at=received_at)
            if key and not _claim_key(scope, key, fingerprint, case):
                raise _KeyTaken  # a concurrent request with this key committed first: undo ours
    except _KeyTaken:
        return _replay(actor, key, fingerprint)
    return IntakeResult(case=case, created=True)


class _KeyTaken(Exception):
    """Raised inside the intake transaction to roll it back when its idempotency key was taken."""


def _claim_key(scope: str, key: str, fingerprint: str, case: Case) -> bool:
    """Store the idempotency key with the case it created; False if another request stored it.

    One ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (PostgreSQL, SQLite ≥ 3.35), the last
    write of the intake: a concurrent request with the same key waits on the unique index
    until the first commits, then finds the key taken and replays the first one's case.
    """
    table, q = IdempotencyKey._meta.db_table, connection.ops.quote_name
    sql = (f"INSERT INTO {table} ({q('scope')}, {q('key')}, request_hash, case_id, created_at) "  # noqa: S608
           f"VALUES (%s, %s, %s, %s, %s) ON CONFLICT ({q('scope')}, {q('key')}) DO NOTHING RETURNING id")
    with connection.cursor() as cur:
        cur.execute(sql, [scope, key, fingerprint, case.pk,
                          connection.ops.adapt_datetimefield_value(timezone.now())])
        return cur.fetchone() is not None


def _replay(actor: User | None, key: str, fingerprint: str) -> IntakeResult:
    row = IdempotencyKey.objects.select_related("case").get(scope=idempotency_scope(actor), key=key[:200])
    if row.request_hash != fingerprint or row.case is None:
        raise Conflict(
            _("This idempotency key was already used for a different request."),
            code="idempotency_key_reused",
        )
    return IntakeResult(case=row.case, created=False)


def case_row_values(
    data: NewCase, *, number: str, received_at: datetime, unit: OrgUnit, customer: Customer | None,
    category: Category | None, actor: User | None,
) -> dict[str, Any]:
    """The field values of a new case: the one definition that intake and bulk import share."""
    p, c = data.product, data.classification
    title = data.title.strip() or _default_title(data.description)
    demands = list(dict.fromkeys(data.demands))
    missing = missing_fields(data.kind, {
        "title": title, "description": data.description,
        "customer_phone": data.customer.phone.strip(), "customer_email": data.customer.email.strip(),
        "product_name": p.name.strip(), "demands": demands,
    })
    return {
        "number": number,
        "received_at": received_at,
        "channel": data.channel,
        "kind": data.kind,
        "status": Status.AWAITING_INFO if missing else Status.NEW,
        # A case that starts out waiting for the customer goes on as a new case once they answer.
        "resume_status": Status.NEW if missing else "",
        "title": title,
        "description": data.description,
        "emotion": data.emotion,
        "demands": demands,
        "customer": customer,
        "customer_name": data.customer.name.strip(),
        "product_name": p.name.strip(),
        "product_model": p.model.strip(),
        "product_batch": p.batch.strip(),
        "product_serial": p.serial.strip(),
        "delivered_on": p.delivered_on,
        "quantity": p.quantity,
        "defective_quantity": p.defective_quantity,
        "order_ref": data.order_ref.strip(),
        "org_unit": unit,
        "intake_by": actor,
        "category": category,
        "validity": c.validity,
        "severity": c.severity,
        "priority": c.priority,
        "missing_fields": missing,
        "tracking_token": secrets.token_urlsafe(32),
    }


def _insert_case(
    data: NewCase, unit: OrgUnit, category: Category | None, actor: User | None, *,
    number: str, received_at: datetime,
) -> Case:
    from kesu.cases.bulk import new_instance  # kesu.cases.bulk imports this module

    customer = do_find_or_create_customer(data.customer, org_unit=unit)
    # ``Case(**values)`` without ``Model.__init__``'s per-field work (~10 µs for the case's 40 fields).
    case = new_instance(Case, **case_row_values(
        data, number=number, received_at=received_at, unit=unit, customer=customer,
        category=category, actor=actor,
    ))
    # The event hash needs the number, not the id: hash first, store the head with the INSERT.
    created = events.first_event(case, EventType.CREATED, actor=actor, data={"new": case_snapshot(case)})
    # One statement on PostgreSQL, with the search grams computed here (as import does) instead
    # of by the INSERT trigger's SQL function (~0.2 ms of PostgreSQL's CPU; a text it cannot
    # tell, or a database whose upper() differs, leaves them to the trigger as before).
    grams = search.insert_columns([case]).get("search_grams", [None])[0]
    sqlcache.insert_with_parent(case, created, "case_id", parent_extra=[("search_grams", "int4[]", grams)])
    stored = [store_attachment(case, checked, actor, head_locked=True) for checked in data.attachments]
    case._kesu_attachments = [a for a in stored if a is not None]  # type: ignore[attr-defined]
    search.index_new_cases([case])
    # E-mail intake cannot know the kind: its default is not a person's choice.
    triage_new_case(case, actor=actor, kind_given=data.channel != Channel.EMAIL, at=timezone.now())
    after_change(case, at=timezone.now(), trigger="created", new_case=True)
    return case


def case_snapshot(case: Case) -> dict[str, Any]:
    """The audited fields of a case as plain JSON values."""
    return {
        "number": case.number,
        "received_at": case.received_at.isoformat(),
        "channel": case.channel,
        "kind": case.kind,
        "status": case.status,
        "title": case.title,
        "description": case.description,
        "emotion": case.emotion,
        "demands": case.demands,
        "customer_id": case.customer_id,
        "customer_name": case.customer_name,
        "product": {
            "name": case.product_name, "model": case.product_model, "batch": case.product_batch,
            "serial": case.product_serial,
            "delivered_on": case.delivered_on.isoformat() if case.delivered_on else None,
            "quantity": case.quantity, "defective_quantity": case.defective_quantity,
        },
        "order_ref": case.order_ref,
        "org_unit": case.org_unit.code,
        "intake_by": case.intake_by.username if case.intake_by else None,
        "category": case.category.code if case.category else None,
        "validity": case.validity,
        "severity": case.severity,
        "priority": case.priority,
        "missing_fields": case.missing_fields,
    }


def store_attachment(
    case: Case, checked: CheckedFile, actor: User | None, *, head_locked: bool = False
) -> Attachment | None:
    """Keep the file on the case and record it; ``head_locked`` as in ``events.append``."""
    if Attachment.objects.filter(case=case, sha256=checked.sha256).exists():
        return None  # the same file twice on one case is kept once
    attachment = Attachment(
        case=case, original_name=checked.name, content_type=checked.content_type,
        size=checked.size, sha256=checked.sha256, uploaded_by=actor,
    )
    attachment.file.save(checked.name, as_django_file(checked), save=False)
    attachment.save()
    events.append(case, EventType.ATTACHMENT_ADDED, actor=actor, head_locked=head_locked, data={
        "new": {"name": checked.name, "sha256": checked.sha256, "size": checked.size,
                "content_type": checked.content_type},
    })
    return attachment


def do_add_attachment(case: Case, checked: CheckedFile, *, actor: User) -> Attachment | None:
    if not has_cap(actor.role, Cap.CASE_ATTACH):
        raise Forbidden(_("Your role may not add attachments."))
    with transaction.atomic():
        # The case's row lock first: two uploads of the same file at once (a retried request)
        # then see each other, and the second stores nothing instead of hitting the unique index.
        return store_attachment(events.lock_case(case), checked, actor, head_locked=True)


def do_classify_case(case: Case, classification: Classification, *, actor: User) -> Case:
    """Set category, validity, severity and priority; records old and new values."""
    if not has_cap(actor.role, Cap.CASE_CLASSIFY):
        raise Forbidden(_("Your role may not classify cases."))
    errors: dict[str, list[str]] = {}
    _check_choice(errors, "validity", classification.validity, Validity.values)
    _check_choice(errors, "severity", classification.severity, Severity.values)
    _check_choice(errors, "priority", classification.priority, Priority.values)
    category = None
    if classification.category:
        category = Category.objects.filter(code=classification.category, is_active=True).first()
        if category is None:
            errors.setdefault("category", []).append(_("No category has this code."))
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    with transaction.atomic():
        locked = Case.objects.select_for_update(of=("self",)).select_related("category").get(pk=case.pk)
        old = {
            "category": locked.category.code if locked.category else None,
            "validity": locked.validity, "severity": locked.severity, "priority": locked.priority,
        }
        new = {
            "category": category.code if category else None, "validity": classification.validity,
            "severity": classification.severity, "priority": classification.priority,
        }
        if old == new:
            return locked
        locked.category, locked.validity = category, classification.validity
        locked.severity, locked.priority = classification.severity, classification.priority
        changed = [k for k in new if old[k] != new[k]]
        events.append(locked, EventType.CLASSIFIED, actor=actor, head_locked=True, data={
            "old": {k: old[k] for k in changed}, "new": {k: new[k] for k in changed},
        }, save_fields=["category", "validity", "severity", "priority", "updated_at"])
        after_change(locked, at=timezone.now(), trigger="classified")
    return locked
