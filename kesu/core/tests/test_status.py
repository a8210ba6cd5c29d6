"""``kesu status``: exit 0 only with every migration applied and a worker seen in 5 minutes."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from kesu.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The command speaks the CLI's language; these tests read its English."""
    with translation.override("en"):
        yield


def status() -> tuple[str, str | None]:
    out = StringIO()
    try:
        call_command("status", stdout=out)
    except CommandError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), None


def test_fresh_heartbeat_is_ok() -> None:
    WorkerHeartbeat.objects.create(name="celery@w1", last_seen=timezone.now() - timedelta(seconds=70))
    out, error = status()
    assert error is None
    assert "migrations: all " in out
    assert "celery@w1 last seen" in out
    assert "(70 s ago)" in out or "(71 s ago)" in out
    assert out.rstrip().endswith("status: ok")


def test_never_seen_worker_fails() -> None:
    out, error = status()
    assert error == "status: no worker has ever been seen"
    assert "worker:     never seen" in out


def test_stale_heartbeat_fails_even_if_another_is_older() -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(name="celery@w1", last_seen=now - timedelta(minutes=6))
    WorkerHeartbeat.objects.create(name="celery@w2", last_seen=now - timedelta(hours=3))
    out, error = status()
    assert error == "status: no worker seen in the last 5 minutes"
    assert out.index("celery@w1") < out.index("celery@w2")  # freshest first


def test_broker_is_described_without_its_password(settings: object) -> None:
    from kesu.core.management.commands.status import describe_broker

    settings.CELERY_BROKER_URL = "redis://:s3cret@redis.internal:6380/2"  # type: ignore[attr-defined]
    assert describe_broker() == "redis at redis.internal:6380/2"


def test_status_speaks_chinese_by_default() -> None:
    WorkerHeartbeat.objects.create(name="celery@w1", last_seen=timezone.now())
    with translation.override("zh-hans"):
        out, error = status()
    assert error is None
    assert "迁移" in out and out.rstrip().endswith("状态：正常")
