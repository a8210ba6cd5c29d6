"""Claiming due outbox rows and recording each attempt (ADR 0005).

A row moves ``pending → sending → sent``, or back to ``pending`` with a later
``next_attempt_at`` after a failure, or to ``failed`` after ``NOTIFY_MAX_ATTEMPTS``.
A claim is one conditional UPDATE that sets a fresh ``claim_token``; only the holder of the
token may record the outcome, so two workers never send the same row at the same time.
On PostgreSQL the candidates are first picked with ``FOR UPDATE SKIP LOCKED`` so concurrent
workers take disjoint batches instead of contending for the same rows.

A worker that dies mid-send leaves the row ``sending``; once its lease runs out the row can be
claimed again (at-least-once; webhook receivers dedupe on ``X-Kesu-Delivery``).
"""

from __future__ import annotations

import logging
import random
import uuid
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from kesu.notify.choices import Channel, OutboxState
from kesu.notify.models import Notification, Outbox
from kesu.notify.transports import DeliveryError, send_email, send_webhook

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
ERROR_MAX = 2000


def max_attempts() -> int:
    return int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", 8))


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Delay before attempt ``attempts + 1``: 30 s doubling per attempt, capped at 6 h, with
    jitter of ±25 % so that rows failed together by one outage do not retry in lockstep."""
    raw = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)
    return raw * (0.75 + 0.5 * (rng or random).random())


def _claimable(now: datetime) -> Q:
    return Q(state=OutboxState.PENDING, next_attempt_at__lte=now) | Q(
        state=OutboxState.SENDING, lease_until__lt=now
    )


def claim(*, now: datetime | None = None, ids: list[int] | None = None, limit: int = 100,
          exclude: set[int] | None = None) -> list[Outbox]:
    """Take up to ``limit`` due rows (of ``ids`` if given, none of ``exclude``) for this worker."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        qs = Outbox.objects.filter(_claimable(now))
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        if exclude:
            qs = qs.exclude(pk__in=exclude)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        candidates = list(qs.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
        if not candidates:
            return []
        Outbox.objects.filter(_claimable(now), pk__in=candidates).update(
            state=OutboxState.SENDING, claim_token=token, lease_until=timezone.now() + LEASE
        )
    rows = Outbox.objects.filter(claim_token=token, state=OutboxState.SENDING)
    return list(rows.select_related("endpoint", "recipient", "case").order_by("id"))


def _mine(row: Outbox) -> Q:
    return Q(pk=row.pk, claim_token=row.claim_token, state=OutboxState.SENDING)


def _record_success(row: Outbox) -> bool:
    done = Outbox.objects.filter(_mine(row)).update(
        state=OutboxState.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1,
        last_error="", lease_until=None,
    )
    return bool(done)


def _record_failure(row: Outbox, error: DeliveryError) -> str:
    attempts = row.attempts + 1
    give_up = error.permanent or attempts >= max_attempts()
    state = OutboxState.FAILED if give_up else OutboxState.PENDING
    updates: dict[str, object] = {"state": state, "attempts": attempts, "last_error": str(error)[:ERROR_MAX],
                                  "lease_until": None}
    if not give_up:
        updates["next_attempt_at"] = timezone.now() + backoff(attempts)
    Outbox.objects.filter(_mine(row)).update(**updates)
    log.warning("notification %s (%s) attempt %s failed: %s", row.pk, row.channel, attempts, error)
    return state


def _store_in_app(row: Outbox) -> str:
    """In-app delivery writes the Notification and marks the row sent in one transaction."""
    if row.recipient is None or not row.recipient.is_active:
        return _record_failure(row, DeliveryError("the recipient has no active account", permanent=True))
    with transaction.atomic():
        if not _record_success(row):
            return OutboxState.SENDING  # the claim was lost: someone else owns the row now
        Notification.objects.get_or_create(outbox=row, defaults={
            "user": row.recipient, "event": row.event, "case": row.case, "subject": row.subject,
            "body": row.body, "link": row.link, "created_at": row.created_at,
        })
    return OutboxState.SENT


def attempt(row: Outbox) -> str:
    """Send one claimed row and record the outcome; returns the row's new state."""
    if row.channel == Channel.IN_APP:
        return _store_in_app(row)
    sender = send_email if row.channel == Channel.EMAIL else send_webhook
    try:
        sender(row)
    except DeliveryError as exc:
        return _record_failure(row, exc)
    if not _record_success(row):
        log.warning("notification %s was sent after its claim expired", row.pk)
    return OutboxState.SENT


def _store_in_app_batch(rows: list[Outbox]) -> Counter[str]:
    """``_store_in_app`` for a claimed batch: one transaction, one UPDATE, one INSERT."""
    counts: Counter[str] = Counter()
    live: list[Outbox] = []
    for row in rows:
        if row.recipient is None or not row.recipient.is_active:
            gone = DeliveryError("the recipient has no active account", permanent=True)
            counts[_record_failure(row, gone)] += 1
        else:
            live.append(row)
    if not live:
        return counts
    claims = Q()
    for row in live:
        claims |= _mine(row)
    with transaction.atomic():
        held = set(Outbox.objects.select_for_update().filter(claims).values_list("pk", flat=True))
        mine = [row for row in live if row.pk in held]
        Outbox.objects.filter(pk__in=held).update(
            state=OutboxState.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, last_error="",
            lease_until=None)
        Notification.objects.bulk_create([
            Notification(outbox=row, user=row.recipient, event=row.event, case=row.case, subject=row.subject,
                         body=row.body, link=row.link, created_at=row.created_at) for row in mine
        ], ignore_conflicts=True)
    counts.update({OutboxState.SENT: len(mine), OutboxState.SENDING: len(live) - len(mine)})
    return +counts  # without zero counts


def attempt_batch(rows: list[Outbox]) -> Counter[str]:
    """Send a claimed batch: in-app rows together, the others one by one."""
    counts = Counter(attempt(row) for row in rows if row.channel != Channel.IN_APP)
    counts.update(_store_in_app_batch([row for row in rows if row.channel == Channel.IN_APP]))
    return counts


def deliver_ids(ids: list[int]) -> Counter[str]:
    """Deliver the given rows if they are due and not taken by another worker."""
    return attempt_batch(claim(ids=ids, limit=len(ids) or 1))


def deliver_due(*, now: datetime | None = None, batch: int = 100, max_batches: int = 50) -> Counter[str]:
    """One pass over the due rows in batches; returns counts by resulting state.

    A row is attempted at most once per pass, even if its retry falls due during the pass.
    """
    counts: Counter[str] = Counter()
    seen: set[int] = set()
    for _ in range(max_batches):
        rows = claim(now=now, limit=batch, exclude=seen)
        if not rows:
            break
        seen.update(row.pk for row in rows)
        counts.update(attempt_batch(rows))
    return counts
