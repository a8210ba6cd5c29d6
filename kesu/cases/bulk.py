"""Bulk intake: many cases in one transaction, with the effects of ``do_create_case`` for each.

``do_create_case`` costs several queries per case (customer lookup, counter, insert, event,
chain head), which caps an import at a few hundred rows a second. ``do_import_batch`` does the
same work for a whole batch with a fixed number of queries: one lookup of the customers by
phone key and by e-mail, one ``bulk_create`` of the new customers, one counter update per
month for the case numbers, one ``bulk_create`` of the cases, one of their ``case.created``
events (hash-chained exactly as ``kesu.cases.events.append`` does) and one of their SLA clocks
(``kesu.sla.actions.build_clocks``), then the search index.

The rules are those of ``kesu.cases.actions._validate`` and ``_check_actor_may_create``;
``kesu/cases/tests/test_bulk.py`` proves that a case imported here and one created through
the API are indistinguishable.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import BooleanField, Field, Min, Model, Q, QuerySet
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.cases import search
from kesu.cases.actions import NewCase, case_row_values, case_snapshot, field_errors
from kesu.cases.bulk_sql import insert_rows, insert_tuples
from kesu.cases.events import EventType, event_payload
from kesu.cases.intake_triage import triage_new_cases
from kesu.cases.models import Case, CaseEvent, Category
from kesu.cases.numbering import period_of, reserve_case_numbers
from kesu.core.errors import Forbidden
from kesu.core.hashchain import GENESIS, chain_hash
from kesu.customers.actions import CustomerInput, email_key, phone_key
from kesu.customers.choices import CustomerLevel, CustomerType
from kesu.customers.models import Customer
from kesu.org.models import OrgUnit, User
from kesu.org.roles import Cap, has_cap
from kesu.org.scope import visible_unit_ids
from kesu.sla.bulk_clocks import CLOCK_COLUMNS, clock_rows
from kesu.sla.models import CaseClock

CUSTOMER_RETRIES = 5
DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE
#: SQLite page cache while a bulk import runs (KiB): each row touches some twenty indexes, whose
#: pages should stay in memory rather than be re-read and re-written for every batch.
SQLITE_IMPORT_CACHE_KIB = 256 * 1024


@dataclass
class ImportRow:
    """One row of a file: its line number, the case it asks for and the problems parsing it."""

    line: int
    data: NewCase
    errors: dict[str, list[str]] = field(default_factory=dict)
    kind_given: bool = True  # False: the file left the kind empty and the default was used


@dataclass(frozen=True)
class RowError:
    line: int
    fields: dict[str, list[str]]


@dataclass
class BatchResult:
    cases: list[Case]
    errors: list[RowError]
    #: Per case: whether the file gave its kind (False: the default, and triaged in the batch).
    kind_given: list[bool] = field(default_factory=list)


@dataclass
class Lookups:
    """Active org units and categories, loaded once per import, by code and by name."""

    units: dict[str, OrgUnit]
    unit_names: dict[str, list[OrgUnit]]
    categories: dict[str, Category]
    category_names: dict[str, Category]

    @classmethod
    def load(cls) -> Lookups:
        units = {u.code: u for u in OrgUnit.objects.filter(is_active=True)}
        names: dict[str, list[OrgUnit]] = defaultdict(list)
        for unit in units.values():
            names[unit.name.strip()].append(unit)
        categories = {c.code: c for c in Category.objects.filter(is_active=True)}
        by_name: dict[str, Category] = {}
        for cat in sorted(categories.values(), key=lambda c: (c.sort_order, c.code)):
            for name in (cat.name, cat.name_en):
                if name.strip():
                    by_name.setdefault(name.strip().casefold(), cat)
        return cls(units=units, unit_names=dict(names), categories=categories, category_names=by_name)

    def unit_code(self, value: str) -> str | None:
        """The code of the unit with this code, else with exactly this (unique) name."""
        if value in self.units:
            return value
        named = self.unit_names.get(value, [])
        return named[0].code if len(named) == 1 else None

    def category_code(self, value: str) -> str | None:
        if value in self.categories:
            return value
        found = self.category_names.get(value.casefold())
        return found.code if found else None


def check_actor_may_import(actor: User | None) -> None:
    """The batch-level half of ``_check_actor_may_create``; the scope is checked per row."""
    if actor is not None and not has_cap(actor.role, Cap.CASE_CREATE):
        raise Forbidden(_("Your role may not register cases."))


def validate_row(data: NewCase, lookups: Lookups, scope: set[int] | None) -> dict[str, list[str]]:
    """The errors ``do_create_case`` would report for ``data``, keyed like its ``fields``."""
    errors = field_errors(data)
    c = data.classification
    unit = lookups.units.get(data.org_unit)
    if unit is None:
        errors.setdefault("org_unit", []).append(_("No org unit has this code."))
    elif scope is not None and unit.pk not in scope:
        errors.setdefault("org_unit", []).append(_("Outside your scope."))
    if c.category and c.category not in lookups.categories:
        errors.setdefault("category", []).append(_("No category has this code."))
    return errors


def actor_scope(actor: User | None) -> set[int] | None:
    """Unit ids the actor may register cases for; None means any (root unit or no actor)."""
    if actor is None:
        return None
    ids = visible_unit_ids(actor)
    return None if ids is None else set(ids)


def validate_batch(
    rows: Sequence[ImportRow], lookups: Lookups, scope: set[int] | None
) -> tuple[list[ImportRow], list[RowError]]:
    """Split rows into good ones and errors (parse problems first, then the intake rules)."""
    good: list[ImportRow] = []
    bad: list[RowError] = []
    for row in rows:
        errors = dict(row.errors)
        for key, messages in validate_row(row.data, lookups, scope).items():
            errors.setdefault(key, messages)
        if errors:
            bad.append(RowError(row.line, errors))
        else:
            good.append(row)
    return good, bad


def do_import_batch(
    rows: Sequence[ImportRow], *, actor: User | None, lookups: Lookups | None = None, triage: bool = True
) -> BatchResult:
    """Register the good rows of one batch in one transaction; report the bad ones.

    Each created case has what ``do_create_case`` would give it: the customer found by phone
    key, else e-mail, else created (blanks of a found profile filled), the next numbers of
    its month in row order, status and missing fields, a tracking token, its ``case.created``
    event (seq 1 after GENESIS), its SLA clocks and its search index entry.

    ``triage`` False leaves out the triage suggestions (~170 µs of CPU per text) of the rows
    whose kind the file gave (``BatchResult.kind_given``): the caller then has
    ``kesu.triage.backfill`` add them later, which also re-syncs the clocks of the cases whose
    classification the triage changed (ADR 0010). Rows with a defaulted kind are triaged here.
    """
    check_actor_may_import(actor)
    with _gc_paused():
        return _import_batch(rows, actor=actor, lookups=lookups or Lookups.load(), triage=triage)


def _import_batch(
    rows: Sequence[ImportRow], *, actor: User | None, lookups: Lookups, triage: bool
) -> BatchResult:
    good, errors = validate_batch(rows, lookups, actor_scope(actor))
    if not good:
        return BatchResult(cases=[], errors=errors)
    now = timezone.now()
    received = [row.data.received_at or now for row in good]
    # The numbers first, in autocommit as intake takes its number (IN-3 allows gaps): inside
    # the batch's transaction the months' counter rows would stay locked for the whole batch,
    # so a live intake of the same month, or a second import worker, would wait for it.
    numbers = _reserve_numbers(received)
    units = [lookups.units[row.data.org_unit] for row in good]
    # The customers too, in a short transaction of their own: a phone that two import workers
    # (or an intake) both create would otherwise make one wait for the other's whole batch. A
    # batch that fails afterwards leaves its new profiles without cases, as an intake that
    # found its customer and was then refused would.
    customers = _resolve_customers_with_retry([row.data.customer for row in good], units)
    with transaction.atomic():
        cases, created = _build_cases(good, received, units, customers, numbers, lookups, actor)
        insert_rows(cases, extra=search.insert_columns(cases))
        for case, event in zip(cases, created, strict=True):
            event.case_id = case.pk
        insert_rows(created, returning=False)
        kind_given = [row.kind_given for row in good]
        if triage:
            triage_new_cases(cases, kind_given=kind_given, at=now)
        elif not all(kind_given):
            # Triage may change a defaulted kind, which decides whether the case has clocks at
            # all: those cases are triaged here, before their clocks are built (ADR 0010).
            defaulted = [case for case, given in zip(cases, kind_given, strict=True) if not given]
            triage_new_cases(defaulted, kind_given=[False] * len(defaulted), at=now)
        # The SLA clocks intake starts (``sync_case_clocks`` on "created"), counted from each
        # case's receipt: an old case imported as open is past due at the next sweep. The
        # rows are ``build_clocks``'s, computed without model instances (kesu.sla.bulk_clocks).
        insert_tuples(CaseClock, CLOCK_COLUMNS, clock_rows(cases, at=timezone.now()))
        _index(cases)
    return BatchResult(cases=cases, errors=errors, kind_given=kind_given)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for one batch (process-wide), as it was afterwards.

    A batch allocates some hundred thousand containers (cases, events, customers, rows, their
    dicts) that live until it ends; the collector, triggered every 700 allocations, walked them
    again and again, and every few batches the whole heap: ~30 % of an import's CPU. Objects
    freed in the batch are freed by reference counting as always; cycles among them wait for
    the first collection after it (a batch makes few or none).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def bulk_session() -> Iterator[None]:
    """Database settings for a long run of ``do_import_batch`` calls, restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-SQLITE_IMPORT_CACHE_KIB:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous:d}")


# --- customers -------------------------------------------------------------------------------


def _resolve_customers_with_retry(inputs: list[CustomerInput], units: list[OrgUnit]) -> list[Customer | None]:
    """A concurrent intake or import worker may create one of our phones first: redo the batch's
    lookups then. Two workers creating the same two phones in opposite orders deadlock;
    PostgreSQL ends one of them, which then redoes its lookups too."""
    for attempt in range(CUSTOMER_RETRIES):
        try:
            with transaction.atomic():
                return _CustomerResolver(inputs, units).resolve()
        except (IntegrityError, OperationalError) as exc:
            retry = isinstance(exc, IntegrityError) or _is_deadlock(exc)
            if not retry or attempt == CUSTOMER_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _is_deadlock(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_DETECTED


class _CustomerResolver:
    """``do_find_or_create_customer`` for a batch, replayed in memory in row order."""

    def __init__(self, inputs: list[CustomerInput], units: list[OrgUnit]) -> None:
        self.inputs, self.units = inputs, units
        phones = {phone_key(c.phone) for c in inputs if not c.is_empty} - {""}
        emails = {email_key(c.email) for c in inputs if not c.is_empty} - {""}
        first_by_email = (
            dict(
                Customer.objects.filter(_among("email_key", emails))
                .values("email_key")
                .annotate(first=Min("pk"))
                .values_list("email_key", "first")
            )
            if emails
            else {}
        )
        # One object per stored customer, so that a filled blank shows in both indexes. The
        # exclude() lets SQLite use the partial unique index on phone_key (WHERE NOT = '').
        by_phone = Customer.objects.filter(_among("phone_key", phones)).exclude(phone_key="")
        stored = {c.pk: c for c in _loaded(by_phone)} if phones else {}
        wanted = [pk for pk in first_by_email.values() if pk not in stored]
        if wanted:
            stored.update({c.pk: c for c in _loaded(Customer.objects.filter(_among("id", wanted)))})
        self.by_phone = {c.phone_key: c for c in stored.values() if c.phone_key in phones}
        self.by_email: dict[str, Customer] = {key: stored[pk] for key, pk in first_by_email.items()}
        self.new: list[Customer] = []
        self.order: dict[int, int] = {}  # id(new customer) → creation order
        self.dirty: dict[int, tuple[Customer, set[str]]] = {}

    def _rank(self, customer: Customer) -> tuple[int, int]:
        """``find_customer`` takes the lowest pk of an e-mail; new rows come after stored ones."""
        return (0, customer.pk) if customer.pk is not None else (1, self.order[id(customer)])

    def _index_email(self, customer: Customer) -> None:
        key = customer.email_key
        if key and (key not in self.by_email or self._rank(customer) < self._rank(self.by_email[key])):
            self.by_email[key] = customer

    def resolve(self) -> list[Customer | None]:
        found: list[Customer | None] = []
        for data, unit in zip(self.inputs, self.units, strict=True):
            found.append(None if data.is_empty else self._one(data, unit))
        insert_rows(self.new)
        self._store_filled_blanks()
        return found

    def _store_filled_blanks(self) -> None:
        """What ``QuerySet.update`` of each stored customer's filled fields would write, in one
        statement (one UPDATE per customer cost ~100 µs, for a tenth to a third of the rows).

        A field that was not filled is sent as NULL and keeps its stored value (the fields are
        NOT NULL): as with the per-customer update, only the filled fields are written.
        """
        if not self.dirty:
            return
        rows = [
            (customer.pk, *(getattr(customer, f) if f in fields else None for f in _FILLABLE))
            for customer, fields in self.dirty.values()
        ]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(_fill_sql(), [list(column) for column in zip(*rows, strict=True)])
            else:
                cursor.executemany(_fill_sql(), [(*row[1:], row[0]) for row in rows])

    def _one(self, data: CustomerInput, unit: OrgUnit) -> Customer:
        pkey, ekey = phone_key(data.phone), email_key(data.email)
        # ``find_customer``: by phone when one is given (unknown phone → new), else by e-mail.
        existing = self.by_phone.get(pkey) if pkey else self.by_email.get(ekey) if ekey else None
        if existing is None:
            return self._create(data, unit)
        self._fill_blanks(existing, data)
        return existing

    def _create(self, data: CustomerInput, unit: OrgUnit) -> Customer:
        customer = _new(
            Customer,
            name=data.name.strip(),
            phone=data.phone.strip(),
            phone_key=phone_key(data.phone),
            email=data.email.strip(),
            email_key=email_key(data.email),
            address=data.address.strip(),
            organisation=data.organisation.strip(),
            level=data.level or CustomerLevel.NORMAL,
            type=data.type or CustomerType.CONSUMER,
            org_unit=unit,
        )
        self.order[id(customer)] = len(self.new)
        self.new.append(customer)
        if customer.phone_key:
            self.by_phone[customer.phone_key] = customer
        self._index_email(customer)
        return customer

    def _fill_blanks(self, customer: Customer, data: CustomerInput) -> None:
        """As ``kesu.customers.actions._fill_blanks``: given details fill empty ones only."""
        updates: dict[str, str] = {}
        for name in ("name", "email", "address", "organisation"):
            new = getattr(data, name).strip()
            if new and not getattr(customer, name):
                updates[name] = new
        if "email" in updates:
            updates["email_key"] = email_key(updates["email"])
        if data.phone and not customer.phone:
            updates["phone"], updates["phone_key"] = data.phone.strip(), phone_key(data.phone)
        if not updates:
            return
        for name, value in updates.items():
            setattr(customer, name, value)
        if "email_key" in updates:
            self._index_email(customer)
        if updates.get("phone_key"):
            self.by_phone[customer.phone_key] = customer
        if customer.pk is not None:
            self.dirty.setdefault(customer.pk, (customer, set()))[1].update(updates)


#: The customer fields ``_fill_blanks`` may fill, as the batched UPDATE sets them.
_FILLABLE = ("name", "email", "email_key", "address", "organisation", "phone", "phone_key")


@cache
def _fill_sql_for(vendor: str) -> str:
    qn = connection.ops.quote_name
    table, pk = qn(Customer._meta.db_table), qn(Customer._meta.pk.column)
    if vendor == "postgresql":
        sets = ", ".join(f"{qn(f)} = COALESCE(v.{qn(f)}, c.{qn(f)})" for f in _FILLABLE)
        arrays = ", ".join(["%s::bigint[]", *["%s::text[]"] * len(_FILLABLE)])
        names = ", ".join([pk, *map(qn, _FILLABLE)])
        return f"UPDATE {table} AS c SET {sets} FROM unnest({arrays}) AS v({names}) WHERE c.{pk} = v.{pk}"  # noqa: S608
    sets = ", ".join(f"{qn(f)} = COALESCE(%s, {qn(f)})" for f in _FILLABLE)
    return f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608 - quoted names from the model


def _fill_sql() -> str:
    return _fill_sql_for(connection.vendor)


def _among(column: str, keys: Collection[Any]) -> Q | RawSQL:
    """``<column> IN keys`` for a customer lookup: one array parameter on PostgreSQL.

    psycopg binds client-side and splits the query text at every placeholder, and Django
    prepares every element of an ``__in`` list: ~5 µs per key, a thousand keys a batch.
    """
    if connection.vendor != "postgresql":
        return Q(**{f"{column}__in": keys})
    qn = connection.ops.quote_name
    sql = f"{qn(Customer._meta.db_table)}.{qn(column)} = ANY(%s)"
    return RawSQL(sql, (list(keys),), output_field=BooleanField())  # noqa: S611 - quoted names, a parameter


# --- cases and events --------------------------------------------------------------------------


def _reserve_numbers(received: list[datetime]) -> list[str]:
    """The numbers ``next_case_number`` would give, in row order, one counter update per month."""
    periods = [period_of(at) for at in received]
    counts: dict[str, int] = defaultdict(int)
    for period in periods:
        counts[period] += 1
    reserved = {period: iter(reserve_case_numbers(period, n)) for period, n in sorted(counts.items())}
    return [next(reserved[period]) for period in periods]


def _build_cases(
    rows: list[ImportRow],
    received: list[datetime],
    units: list[OrgUnit],
    customers: list[Customer | None],
    numbers: list[str],
    lookups: Lookups,
    actor: User | None,
) -> tuple[list[Case], list[CaseEvent]]:
    """The cases and their first events, chained as ``events.append`` chains them, unsaved."""
    event_at = timezone.now().replace(microsecond=0)
    event_actor = actor if getattr(actor, "pk", None) else None
    actor_name = getattr(actor, "username", "") or ""
    cases: list[Case] = []
    created: list[CaseEvent] = []
    for row, received_at, unit, customer, number in zip(
        rows, received, units, customers, numbers, strict=True
    ):
        case = _case_from(row.data, received_at, unit, customer, number, lookups, actor)
        event = _new(
            CaseEvent,
            case=case,
            seq=1,
            type=EventType.CREATED,
            actor=event_actor,
            actor_name=actor_name,
            at=event_at,
            data={"new": case_snapshot(case)},
            prev_hash=GENESIS,
        )
        event.hash = chain_hash(event.prev_hash, event_payload(event, number))
        case.event_count, case.last_event_hash = 1, event.hash
        cases.append(case)
        created.append(event)
    return cases, created


def _case_from(
    data: NewCase,
    received_at: datetime,
    unit: OrgUnit,
    customer: Customer | None,
    number: str,
    lookups: Lookups,
    actor: User | None,
) -> Case:
    """The row ``kesu.cases.actions._insert_case`` would insert, not yet saved."""
    c = data.classification
    return _new(
        Case,
        **case_row_values(
            data,
            number=number,
            received_at=received_at,
            unit=unit,
            customer=customer,
            category=lookups.categories[c.category] if c.category else None,
            actor=actor,
        ),
    )


# --- building and inserting ---------------------------------------------------------------------

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _InitPlan:
    """What ``_new`` needs of a model, worked out once."""

    #: Every field's value when not given, in field order; a callable default's is a stand-in.
    template: dict[str, Any]
    attnames: frozenset[str]
    #: (attname, name, field) of the fields whose default is called for each object.
    called: tuple[tuple[str, str, Field[Any, Any]], ...]
    #: Forward foreign keys: name → attname.
    fk_attnames: dict[str, str]


@cache
def _init_plan(model: type[Model]) -> _InitPlan:
    template: dict[str, Any] = {"_state": None}  # first, as Model.__init__ sets it
    called = []
    fk_attnames = {}
    for f in model._meta.concrete_fields:
        if f.is_relation and f.many_to_one:
            fk_attnames[f.name] = f.attname
        if (f.has_default() and callable(f.default)) or f.db_default is not NOT_PROVIDED:  # new each time
            called.append((f.attname, f.name, f))
            template[f.attname] = None
        else:  # None, "" or the one default object, which Model.__init__ hands every instance too
            template[f.attname] = f.get_default()
    attnames = frozenset(template) - {"_state"}
    return _InitPlan(template, attnames, tuple(called), fk_attnames)


def _new(model: type[M], **kwargs: Any) -> M:
    """The instance ``model(**kwargs)`` gives, built without ``Model.__init__``.

    Keyword (and even positional) construction costs ~10 µs per object, more than the insert
    of its row; a bulk import builds several objects per row. The result has what ``__init__``
    leaves: every field's value in ``__dict__`` in field order (defaults for fields not named:
    copied from a template made once, callable ones called), a fresh ``ModelState``, and
    related objects given by name cached so that ``case.org_unit`` needs no query.
    ``pre_init``/``post_init`` are not sent: none of the models built here has a receiver (no
    file, image or generic-relation fields).
    """
    plan = _init_plan(model)
    obj = model.__new__(model)
    values = obj.__dict__
    values.update(plan.template)
    values.update(kwargs)  # given keys keep the template's (field) order; related objects follow
    state = values["_state"] = ModelState()
    named = kwargs.keys() - plan.attnames
    if named:  # related objects by name, else not fields
        unknown = []
        cache_ = state.fields_cache
        for name in named:
            attname = plan.fk_attnames.get(name)
            if attname is None or attname in kwargs:
                unknown.append(name)
                continue
            related = values.pop(name)
            values[attname] = None if related is None else related.pk
            cache_[name] = related
        if unknown:
            raise TypeError(f"{model.__name__} has no fields {sorted(unknown)}")
    for attname, name, f in plan.called:
        if attname not in kwargs and name not in kwargs:
            values[attname] = f.get_default()
    return obj


#: ``_new`` for other apps' bulk writers (e.g. ``kesu.sla.actions.build_clocks``).
new_instance = _new


def _loaded(qs: QuerySet[M]) -> list[M]:
    """``list(qs)`` built as ``Model.from_db`` builds each object, without ``Model.__init__``.

    The values come from ``values_list`` (the fields' database converters applied); each
    object gets them in ``__dict__`` and a ``ModelState`` saying it was loaded from ``qs.db``:
    what ``from_db`` → ``Model(*values)`` leaves, at a fifth of its cost (no receivers of
    ``pre_init``/``post_init``, as for ``_new``).
    """
    model = qs.model
    names = [f.attname for f in model._meta.concrete_fields]
    alias = qs.db
    out = []
    for row in qs.order_by().values_list(*names):
        obj = model.__new__(model)
        values = obj.__dict__
        state = values["_state"] = ModelState()
        state.adding, state.db = False, alias
        values.update(zip(names, row, strict=True))
        out.append(obj)
    return out


def _index(cases: list[Case]) -> None:
    """The search index of cases INSERTed in this transaction, from the objects (no read-back)."""
    search.index_new_cases(cases)
