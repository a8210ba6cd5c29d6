"""Append many case events at once, keeping each case's hash chain (SE-3) intact.

The same chain as ``kesu.cases.events.append`` — same payload, same hash, the case row locked
while its head advances — for the sweep, which may record thousands of breaches in one run
and cannot afford three queries per event. Here a batch costs one locking read of the case
heads, one insert of the events and one update of the heads.
TODO(lead): move next to ``append`` in kesu/cases/events.py as ``append_many``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from django.db import connection, transaction

from kesu.cases.events import event_payload
from kesu.cases.models import Case, CaseEvent
from kesu.core.hashchain import GENESIS, chain_hash
from kesu.sla.sqlbulk import update_by_id

Item = tuple[int, str, dict[str, Any]]  # (case id, event type, data)


@dataclass
class Head:
    number: str
    count: int
    last: str
    org_unit_id: int


def lock_heads(case_ids: Iterable[int]) -> dict[int, Head]:
    """Lock the cases (in id order, so concurrent writers cannot deadlock) and read their event
    heads and org units: one query. Must run inside ``transaction.atomic``."""
    return {
        pk: Head(number, count, last or GENESIS, unit_id)
        for pk, number, count, last, unit_id in Case.objects.select_for_update()
        .filter(pk__in=sorted(set(case_ids)))
        .order_by("pk")
        .values_list("pk", "number", "event_count", "last_event_hash", "org_unit_id")
    }


def append_many(
    items: list[Item], *, at: datetime, actor: Any = None, heads: dict[int, Head] | None = None
) -> list[CaseEvent]:
    """Write ``items`` in order as events of their cases. Must run inside ``transaction.atomic``.

    ``heads`` from ``lock_heads`` in this transaction saves the locking read (they are
    advanced in place). Returns the events written (attribute holders, not saved instances).
    """
    assert transaction.get_connection().in_atomic_block, "events are written inside a transaction"
    if not items:
        return []
    if heads is None:
        heads = lock_heads(case_id for case_id, _, _ in items)
    touched: set[int] = set()
    at = at.replace(microsecond=0)
    actor_id = getattr(actor, "pk", None)
    rows: list[CaseEvent] = []
    actor_name = getattr(actor, "username", "") or ""
    for case_id, type_, data in items:
        head = heads[case_id]
        # A plain stand-in for CaseEvent: event_payload reads attributes only, and building
        # thousands of model instances costs more than hashing them.
        event = cast(
            CaseEvent,
            SimpleNamespace(
                case_id=case_id,
                seq=head.count + 1,
                type=type_,
                actor_id=actor_id,
                actor_name=actor_name,
                at=at,
                data=data,
                prev_hash=head.last,
                hash="",
            ),
        )
        event.hash = chain_hash(event.prev_hash, event_payload(event, head.number))
        head.count, head.last = event.seq, event.hash
        touched.add(case_id)
        rows.append(event)
    _insert(rows)
    update_by_id(
        Case._meta.db_table,
        [("event_count", "integer"), ("last_event_hash", "varchar")],
        [(pk, heads[pk].count, heads[pk].last) for pk in sorted(touched)],
    )
    return rows


_COLUMNS = ("case_id", "seq", "type", "actor_id", "actor_name", "at", "data", "prev_hash", "hash")


def _insert(rows: list[CaseEvent]) -> None:
    """COPY on PostgreSQL (the rows' ids are not needed); ``bulk_create`` elsewhere."""
    if connection.vendor != "postgresql":
        CaseEvent.objects.bulk_create(
            [CaseEvent(**{c: getattr(e, c) for c in _COLUMNS}) for e in rows], batch_size=1000
        )
        return
    table = CaseEvent._meta.db_table
    with (
        connection.cursor() as cur,
        cur.cursor.copy(f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN") as copy,
    ):
        for e in rows:
            copy.write_row(
                (
                    e.case_id,
                    e.seq,
                    e.type,
                    e.actor_id,
                    e.actor_name,
                    e.at,
                    json.dumps(e.data, ensure_ascii=False),
                    e.prev_hash,
                    e.hash,
                )
            )
