"""Append case events to the per-case hash chain (SE-3, ARCHITECTURE rule 3).

Callers hold a transaction; ``append`` locks the case row so two writers on the same case
cannot fork its chain, then advances the head stored on the case.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kesu.cases.models import Case, CaseEvent
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


def append(case: Case, type: str, *, actor: Any, data: dict[str, Any]) -> CaseEvent:
    """Write one event for ``case``. Must run inside ``transaction.atomic``."""
    assert transaction.get_connection().in_atomic_block, "events are written inside a transaction"
    head = Case.objects.select_for_update().values("event_count", "last_event_hash").get(pk=case.pk)
    event = CaseEvent(
        case=case,
        seq=head["event_count"] + 1,
        type=type,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "",
        at=timezone.now().replace(microsecond=0),
        data=data,
        prev_hash=head["last_event_hash"] or GENESIS,
    )
    event.hash = chain_hash(event.prev_hash, event_payload(event, case.number))
    event.save()
    Case.objects.filter(pk=case.pk).update(event_count=F("event_count") + 1, last_event_hash=event.hash)
    case.event_count, case.last_event_hash = event.seq, event.hash
    return event


def verify_case_chains(batch: int = 500) -> Iterator[ChainProblem]:
    """Yield every edited, deleted or out-of-order event across all cases."""
    cases = Case.objects.order_by("pk").values_list("pk", "number", "event_count", "last_event_hash")
    for case_id, number, count, last_hash in cases.iterator(chunk_size=batch):
        prev, expected = GENESIS, 1
        for ev in CaseEvent.objects.filter(case_id=case_id).order_by("seq"):
            if ev.seq != expected:
                yield ChainProblem(number, expected, "missing")
            if ev.prev_hash != prev:
                yield ChainProblem(number, ev.seq, "broken link")
            if chain_hash(ev.prev_hash, event_payload(ev, number)) != ev.hash:
                yield ChainProblem(number, ev.seq, "edited")
            prev, expected = ev.hash, ev.seq + 1
        if count != expected - 1 or (last_hash or GENESIS) != prev:
            yield ChainProblem(number, count, "missing")
