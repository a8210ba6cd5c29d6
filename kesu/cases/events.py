"""Append case events to the per-case hash chain (SE-3, ARCHITECTURE rule 3).

Callers hold a transaction; ``append`` locks the case row so two writers on the same case
cannot fork its chain, then advances the head stored on the case.

Three shortcuts save the locking read of the head on the hot paths, without weakening the chain:
an action that locked the case itself with ``lock_case`` (which reads the head under the lock)
passes ``head_locked=True``; intake builds the first event with ``first_event`` before the case
row exists and stores the head in the case's INSERT; and every later event of that same
instance (triage, links, crisis at intake) is appended optimistically — the head the instance
holds is written with an ``UPDATE … WHERE event_count = <held> AND last_event_hash = <held>``,
which takes the row lock and proves the head in one statement (on PostgreSQL the event's
INSERT rides in that statement too, writing only if the UPDATE matched). Only if that matches
no row (someone appended through another instance, or a savepoint holding an append was
rolled back) is the head read under the lock as usual.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from kesu.cases.models import Case, CaseEvent
from kesu.core import sqlcache
from kesu.core.audit import ChainProblem
from kesu.core.hashchain import GENESIS, chain_hash


class EventType:
    CREATED = "case.created"
    UPDATED = "case.updated"
    CLASSIFIED = "case.classified"
    ATTACHMENT_ADDED = "case.attachment_added"
    STATUS_CHANGED = "case.status_changed"
    ASSIGNED = "case.assigned"
    MESSAGE_ADDED = "case.message_added"
    VIEWED_CONTACT = "case.contact_viewed"


def event_payload(event: CaseEvent, case_number: str) -> dict[str, Any]:
    return {
        "case": case_number,
        "seq": event.seq,
        "type": event.type,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "at": event.at.astimezone(UTC).isoformat(),
        "data": event.data,
    }


#: Relations of a case that actions and their effects read (snapshots, clocks, notifications).
CASE_RELATIONS = ("org_unit", "intake_by", "owner", "coordinator", "department", "customer", "category")


def lock_case(case: Case) -> Case:
    """``case`` read again under its row lock, for an action that changes it and appends events.

    The returned instance carries the event head as stored, so ``append(..., head_locked=True)``
    may use it. Relations the caller's instance already holds (same ids) are reused instead of
    joined again: the replayed demo and API actions pass the case their previous step returned.
    Only if one of them is missing are all of them joined (one query, as before).
    """
    fields: list[Any] = [Case._meta.get_field(name) for name in CASE_RELATIONS]
    if all(f.is_cached(case) or getattr(case, f.attname) is None for f in fields):
        locked = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
        for f in fields:
            value = getattr(locked, f.attname)
            if value is None:
                continue
            known = f.get_cached_value(case, None)
            if known is not None and known.pk == value:
                f.set_cached_value(locked, known)
        return locked
    return Case.objects.select_for_update(of=("self",)).select_related(*CASE_RELATIONS).get(pk=case.pk)


def _build(case: Case, type: str, actor: Any, data: dict[str, Any], seq: int, prev_hash: str) -> CaseEvent:
    from kesu.cases.bulk import new_instance  # kesu.cases.bulk imports this module

    # ``CaseEvent(...)`` without ``Model.__init__``'s per-field work (~4 µs per event).
    event = new_instance(
        CaseEvent,
        case=case,
        seq=seq,
        type=type,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "",
        at=timezone.now().replace(microsecond=0),
        data=data,
        prev_hash=prev_hash or GENESIS,
    )
    event.hash = chain_hash(event.prev_hash, event_payload(event, case.number))
    return event


def append(
    case: Case, type: str, *, actor: Any, data: dict[str, Any], head_locked: bool = False,
    save_fields: Sequence[str] = (),
) -> CaseEvent:
    """Write one event for ``case``. Must run inside ``transaction.atomic``.

    ``head_locked=True`` is for callers that hold ``case`` from ``lock_case`` in this
    transaction and append every event of it through this instance: its in-memory head is then
    the stored one, and the locking read is skipped (one query fewer per event). Such callers
    may name ``save_fields`` of ``case`` that they changed: they are saved in the same UPDATE
    as the new head (one query fewer again). The instance intake created (``first_event``) is
    appended to optimistically and may name ``save_fields`` as well.
    """
    assert transaction.get_connection().in_atomic_block, "events are written inside a transaction"
    assert head_locked or not save_fields or head_held(case), "save_fields needs head_locked"
    if not head_locked and head_held(case):
        event = _append_optimistic(case, type, actor, data, save_fields)
        if event is not None:
            return event
    if head_locked:
        seq, prev = case.event_count + 1, case.last_event_hash
    else:
        head = Case.objects.select_for_update().values("event_count", "last_event_hash").get(pk=case.pk)
        seq, prev = head["event_count"] + 1, head["last_event_hash"]
    event = _build(case, type, actor, data, seq, prev)
    sqlcache.insert([event])
    if save_fields and not head_locked:  # the optimistic path missed: the lock is held now
        Case.objects.filter(pk=case.pk).update(event_count=seq, last_event_hash=event.hash,
                                               **_field_values(case, save_fields))
    elif save_fields:
        case.event_count, case.last_event_hash = event.seq, event.hash
        case.save(update_fields=[*save_fields, "event_count", "last_event_hash"])
    elif head_locked:
        Case.objects.filter(pk=case.pk).update(event_count=seq, last_event_hash=event.hash)
    else:
        Case.objects.filter(pk=case.pk).update(event_count=F("event_count") + 1, last_event_hash=event.hash)
    case.event_count, case.last_event_hash = event.seq, event.hash
    return event


def first_event(case: Case, type: str, *, actor: Any, data: dict[str, Any]) -> CaseEvent:
    """The first event of a case that is not saved yet: sets the head on ``case`` so that the
    case's INSERT stores it; insert the event (``sqlcache.insert``) right after the case.

    Later events of this instance are appended optimistically (see the module docstring)."""
    assert case.pk is None, "first_event is for a case that is being created"
    event = _build(case, type, actor, data, 1, "")
    case.event_count, case.last_event_hash = 1, event.hash
    case._kesu_head_held = True  # type: ignore[attr-defined]
    return event


def head_held(case: Case) -> bool:
    """Whether ``case`` is the instance intake created (``first_event``): its head is most likely
    the stored one, so ``append`` tries it first and accepts ``save_fields`` for it."""
    return bool(getattr(case, "_kesu_head_held", False))


def _field_values(case: Case, names: Sequence[str]) -> dict[str, Any]:
    """Column values of ``case``'s fields ``names`` for ``QuerySet.update`` (``auto_now`` applied)."""
    out = {}
    for name in names:
        f = Case._meta.get_field(name)
        out[f.attname] = f.pre_save(case, add=False)  # type: ignore[union-attr]
    return out


#: ``UPDATE`` of the optimistic append per tuple of ``save_fields``, and the fields it writes.
_HEAD_UPDATES: dict[tuple[str, tuple[str, ...]], tuple[str, list[Any]]] = {}


def _head_update(names: Sequence[str]) -> tuple[str, list[Any]]:
    """The conditional head ``UPDATE`` that also writes ``names``: a fixed shape per field list,
    so its SQL is built once per process instead of compiled by the ORM on every append."""
    key = (connection.vendor, tuple(names))
    found = _HEAD_UPDATES.get(key)
    if found is None:
        qn = connection.ops.quote_name
        fields: list[Any] = [Case._meta.get_field(n) for n in names]
        columns = ["event_count", "last_event_hash", *(f.column for f in fields)]
        sets = ", ".join(f"{qn(c)} = %s" for c in columns)
        held = " AND ".join(f"{qn(c)} = %s" for c in (Case._meta.pk.column, "event_count", "last_event_hash"))
        sql = f"UPDATE {qn(Case._meta.db_table)} SET {sets} WHERE {held}"  # noqa: S608 - model names
        found = _HEAD_UPDATES[key] = (sql, fields)
    return found


def _append_optimistic(
    case: Case, type: str, actor: Any, data: dict[str, Any], save_fields: Sequence[str]
) -> CaseEvent | None:
    """Append on the head ``case`` holds, proven by the UPDATE's condition; None if it was stale.

    The UPDATE comes first: it takes the case's row lock and checks the head in one statement,
    so a concurrent writer either waits for this transaction or made this one miss.
    """
    seq, prev = case.event_count + 1, case.last_event_hash
    event = _build(case, type, actor, data, seq, prev)
    sql, fields = _head_update(save_fields)
    conn = connections[DEFAULT_DB_ALIAS]
    params = [seq, event.hash, *(f.get_db_prep_save(f.pre_save(case, False), conn) for f in fields),
              case.pk, case.event_count, prev]
    if conn.vendor == "postgresql":
        # The INSERT rides in the same statement, writing only if the UPDATE matched.
        with_insert, event_fields = _head_update_and_insert(save_fields)
        with conn.cursor() as cur:
            cur.execute(with_insert, params + sqlcache.insert_params(event, event_fields, conn))
            row = cur.fetchone()
        if row is None:
            return None
        sqlcache.saved([event], [row[0]], conn.alias)
    else:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            if cur.rowcount != 1:
                return None
        sqlcache.insert([event])
    case.event_count, case.last_event_hash = event.seq, event.hash
    return event


def _head_update_and_insert(names: Sequence[str]) -> tuple[str, list[Any]]:
    """PostgreSQL: ``_head_update(names)`` and the event's INSERT in one statement
    (``WITH head AS (UPDATE … RETURNING 1) INSERT … SELECT … FROM head``), one round trip and
    one statement to parse and plan fewer per event; the event's fields (``sqlcache.typed_select``)."""
    key = ("postgresql+insert", tuple(names))
    found = _HEAD_UPDATES.get(key)
    if found is None:
        update, _fields = _head_update(names)
        select, fields = sqlcache.typed_select(CaseEvent)
        pk = connection.ops.quote_name(CaseEvent._meta.pk.column)
        sql = f"WITH head AS ({update} RETURNING 1) {select} FROM head RETURNING {pk}"
        found = _HEAD_UPDATES[key] = (sql, fields)
    return found


def verify_case_chains(batch: int = 500) -> Iterator[ChainProblem]:
    """Yield every edited, deleted or out-of-order event across all cases.

    Safe while cases are being written: each case's head is read before its events, and an
    append writes its event and the new head in one transaction, so every event the head
    counts is visible; events appended since are checked against a fresh read of the head
    (reading the events first reported a case written meanwhile as having lost its last ones).
    """
    cases = Case.objects.order_by("pk").values_list("pk", "number", "event_count", "last_event_hash")
    for case_id, number, count, last_hash in cases.iterator(chunk_size=batch):
        prev, expected = GENESIS, 1
        events = list(CaseEvent.objects.filter(case_id=case_id).order_by("seq"))
        if events and events[-1].seq > count:
            fresh = Case.objects.filter(pk=case_id).values_list("event_count", flat=True).first() or 0
            yield from (ChainProblem(number, ev.seq, "beyond the head") for ev in events if ev.seq > fresh)
            events = [ev for ev in events if ev.seq <= count]
        for ev in events:
            if ev.seq != expected:
                yield ChainProblem(number, expected, "missing")
            if ev.prev_hash != prev:
                yield ChainProblem(number, ev.seq, "broken link")
            if chain_hash(ev.prev_hash, event_payload(ev, number)) != ev.hash:
                yield ChainProblem(number, ev.seq, "edited")
            prev, expected = ev.hash, ev.seq + 1
        if count != expected - 1 or (last_hash or GENESIS) != prev:
            yield ChainProblem(number, count, "missing")
