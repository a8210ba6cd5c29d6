"""Celery tasks of the notification app: thin and idempotent.

``deliver`` sends one row right after the change committed; ``deliver_due`` (beat, every
30 s) picks up everything else: retries that fell due, rows whose task was lost because the
broker was down, rows of a worker that died mid-send. A row already sent is never sent again.
"""

from __future__ import annotations

from celery import shared_task

from kesu.notify import delivery


@shared_task(name="kesu.notify.tasks.deliver", ignore_result=True)
def deliver(outbox_id: int) -> None:
    delivery.deliver_ids([outbox_id])


@shared_task(name="kesu.notify.tasks.deliver_due", ignore_result=True)
def deliver_due() -> dict[str, int]:
    return dict(delivery.deliver_due())
