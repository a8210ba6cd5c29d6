"""Writing and verifying the global audit chain (SE-3).

Case events have their own per-case chains (``kesu.cases.events``); this module covers what
happens outside a case. ``record()`` must be called inside the caller's transaction so the
audit row commits or rolls back with the change it describes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import transaction
from django.utils import timezone

from kesu.core.hashchain import GENESIS, chain_hash
from kesu.core.models import AuditChainHead, AuditEvent

CHAIN = "global"


def audit_payload(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "type": event.type,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "at": event.at.astimezone(UTC).isoformat(),
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
    }


def record(
    type: str,
    *,
    actor: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event, locking the chain head so seq and prev_hash stay linear."""
    with transaction.atomic():
        head, _ = AuditChainHead.objects.get_or_create(
            name=CHAIN, defaults={"last_seq": 0, "last_hash": GENESIS}
        )
        head = AuditChainHead.objects.select_for_update().get(pk=head.pk)
        event = AuditEvent(
            seq=head.last_seq + 1,
            type=type,
            actor=actor if getattr(actor, "pk", None) else None,
            actor_name=getattr(actor, "username", "") or "",
            at=timezone.now().replace(microsecond=0),
            object_type=object_type,
            object_id=str(object_id),
            data=data or {},
            prev_hash=head.last_hash,
        )
        event.hash = chain_hash(event.prev_hash, audit_payload(event))
        event.save()
        AuditChainHead.objects.filter(pk=head.pk).update(last_seq=event.seq, last_hash=event.hash)
        return event


@dataclass(frozen=True)
class ChainProblem:
    chain: str
    seq: int
    problem: str


def verify_audit_chain() -> Iterator[ChainProblem]:
    """Yield every edited, deleted or reordered row of the global chain.

    The head is read first (as in ``verify_case_chains``): rows recorded while this runs are
    checked against a fresh read of the head instead of being counted against an old one.
    """
    prev_hash = GENESIS
    expected_seq = 1
    head = AuditChainHead.objects.filter(name=CHAIN).first()
    rows = AuditEvent.objects.order_by("seq")
    if head is not None:
        later = list(AuditEvent.objects.filter(seq__gt=head.last_seq).values_list("seq", flat=True))
        if later:
            fresh = AuditChainHead.objects.filter(name=CHAIN).values_list("last_seq", flat=True).first() or 0
            yield from (ChainProblem(CHAIN, seq, "beyond the head") for seq in later if seq > fresh)
        rows = rows.filter(seq__lte=head.last_seq)
    for event in rows.iterator(chunk_size=2000):
        if event.seq != expected_seq:
            yield ChainProblem(CHAIN, expected_seq, "missing")
        if event.prev_hash != prev_hash:
            yield ChainProblem(CHAIN, event.seq, "broken link")
        if chain_hash(event.prev_hash, audit_payload(event)) != event.hash:
            yield ChainProblem(CHAIN, event.seq, "edited")
        prev_hash = event.hash
        expected_seq = event.seq + 1
    if head and (head.last_seq != expected_seq - 1 or head.last_hash != prev_hash):
        yield ChainProblem(CHAIN, head.last_seq, "missing")
