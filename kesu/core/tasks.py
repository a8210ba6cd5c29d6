"""Worker health: the heartbeat task that ``kesu status`` reads.

Beat runs ``worker_heartbeat`` every 60 seconds (``CELERY_BEAT_SCHEDULE`` in settings) and
each worker enqueues one as soon as it is ready, so a freshly started worker shows up at once.
The heartbeat travels through the broker like any other task, so a fresh row proves the whole
path: broker → worker pool → database.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from kesu.core.models import WorkerHeartbeat

log = logging.getLogger(__name__)

#: ``kesu status`` calls a worker unhealthy when its last heartbeat is older than this.
HEARTBEAT_STALE_SECONDS = 5 * 60


@shared_task(name="kesu.core.tasks.worker_heartbeat", bind=True, ignore_result=True)
def worker_heartbeat(self: Any, name: str | None = None) -> str:
    """Record that a worker is alive; ``name`` defaults to the executing worker's hostname.

    Idempotent: one row per worker name, last write wins.
    """
    worker = name or self.request.hostname or "unknown"
    WorkerHeartbeat.objects.update_or_create(name=worker, defaults={"last_seen": timezone.now()})
    return worker


@worker_ready.connect
def _heartbeat_on_start(sender: Any = None, **kwargs: Any) -> None:
    """Enqueue a heartbeat on a queue this worker consumes, so it is seen right after start."""
    app = sender.app if sender is not None else worker_heartbeat.app
    queues = list(app.amqp.queues.consume_from) or [app.conf.task_default_queue]
    worker_heartbeat.apply_async(queue=queues[0])
