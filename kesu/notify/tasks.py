"""Celery tasks of the notification app: thin and idempotent.

``deliver_many`` sends the rows of one notification right after the change committed (one
message for all its recipients and channels; ``deliver`` is the one-row form, kept for messages
queued by earlier versions); ``deliver_due`` (beat, every 30 s) picks up everything else:
retries that fell due, rows whose task was lost because the broker was down, rows of a worker
that died mid-send, rows written while enqueueing was paused. A row already sent is never
sent again.
"""

from __future__ import annotations

from celery import shared_task

from kesu.notify import delivery


@shared_task(name="kesu.notify.tasks.deliver", ignore_result=True)
def deliver(outbox_id: int) -> None:
    delivery.deliver_ids([outbox_id])


@shared_task(name="kesu.notify.tasks.deliver_many", ignore_result=True)
def deliver_many(outbox_ids: list[int]) -> None:
    delivery.deliver_ids(outbox_ids)


@shared_task(name="kesu.notify.tasks.deliver_due", ignore_result=True)
def deliver_due() -> dict[str, int]:
    return dict(delivery.deliver_due())
