"""The heartbeat task: one row per worker, last write wins."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kesu.core.models import WorkerHeartbeat
from kesu.core.tasks import worker_heartbeat


@pytest.mark.django_db
def test_heartbeat_creates_then_refreshes_one_row_per_worker() -> None:
    worker_heartbeat.apply(kwargs={"name": "celery@a"})
    first = WorkerHeartbeat.objects.get(name="celery@a").last_seen
    WorkerHeartbeat.objects.filter(name="celery@a").update(last_seen=first - timedelta(minutes=9))

    worker_heartbeat.apply(kwargs={"name": "celery@a"})
    worker_heartbeat.apply(kwargs={"name": "celery@b"})

    rows = {r.name: r.last_seen for r in WorkerHeartbeat.objects.all()}
    assert sorted(rows) == ["celery@a", "celery@b"]
    assert timezone.now() - rows["celery@a"] < timedelta(seconds=30)


@pytest.mark.django_db
def test_heartbeat_defaults_to_the_executing_workers_hostname() -> None:
    # Run in-process, the request's hostname is this machine's; in a worker it is celery@host.
    result = worker_heartbeat.apply()
    assert result.get() == socket.gethostname()
    assert list(WorkerHeartbeat.objects.values_list("name", flat=True)) == [socket.gethostname()]


def test_beat_runs_the_heartbeat_every_minute(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]
    assert entry == {"task": "kesu.core.tasks.worker_heartbeat", "schedule": 60.0}
    assert worker_heartbeat.name == entry["task"]
