"""A real Celery worker process executes tasks enqueued through kesu's own broker settings.

Two brokers: Kombu's filesystem transport (the embedded profile, always) and Redis (the
production profile; needs KESU_TEST_REDIS_URL or KESU_REDIS_URL, and under CI=true its absence
is a failure). The worker and the producer are separate processes started with the same
environment, so each reads the broker from settings exactly as ``kesu serve`` would; the test
process observes the result in the test database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from kesu.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_SECONDS = 90


def worker_database_url() -> str:
    """The test database as a KESU_DATABASE_URL for child processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{db.get('HOST') or ''}{port}/{quote(db['NAME'], safe='')}"


def redis_url() -> str:
    url = os.environ.get("KESU_TEST_REDIS_URL") or os.environ.get("KESU_REDIS_URL")
    if not url:
        message = "no Redis: set KESU_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " — under CI=true a missing service is an error")
        pytest.skip(message)
    return url


def child_env(tmp_path: Path, broker: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"KESU_REDIS_URL", "KESU_CELERY_EAGER", "KESU_DATABASE_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="kesu.settings", KESU_DATA_DIR=str(tmp_path / "data"),
               KESU_DATABASE_URL=worker_database_url())
    if broker == "redis":
        env["KESU_REDIS_URL"] = redis_url()
    return env


@pytest.fixture(params=["filesystem", "redis"])
def broker(request: Any) -> str:
    if request.param == "redis":
        redis_url()  # skip (locally) or fail (CI) before starting anything
    return str(request.param)


@pytest.fixture
def worker(tmp_path: Path, broker: str) -> Iterator[tuple[str, str, dict[str, str], Path]]:
    """A ``celery -A kesu worker`` consuming a queue of its own; yields (queue, name, env, log)."""
    token = uuid.uuid4().hex[:10]
    queue, name = f"kesu-test-{token}", f"probe-{token}"
    env = child_env(tmp_path, broker)
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kesu", "worker", "--queues", queue,
             "--hostname", f"{name}@%h", "--concurrency", "1", "--without-mingle",
             "--without-gossip", "--loglevel", "INFO"],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        yield queue, name, env, log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # pool processes left behind, if any
        except ProcessLookupError:
            pass
    assert not (tmp_path / "control").exists(), "the broker wrote outside KESU_DATA_DIR"


def wait_for_rows(names_like: list[str], log: Path) -> dict[str, WorkerHeartbeat]:
    deadline = time.monotonic() + WAIT_SECONDS
    found: dict[str, WorkerHeartbeat] = {}
    while time.monotonic() < deadline:
        for prefix in names_like:
            row = WorkerHeartbeat.objects.filter(name__startswith=prefix).first()
            if row is not None:
                found[prefix] = row
        if len(found) == len(names_like):
            return found
        time.sleep(0.3)
    pytest.fail(f"the worker did not record {sorted(set(names_like) - set(found))} in "
                f"{WAIT_SECONDS} s; its log:\n{log.read_text(errors='replace')[-4000:]}")


def test_worker_executes_enqueued_task_and_heartbeats_at_start(
    worker: tuple[str, str, dict[str, str], Path], broker: str
) -> None:
    queue, name, env, log = worker
    probe = f"{name}-enqueued"
    enqueue = (
        "from kesu.core.tasks import worker_heartbeat; "
        f"worker_heartbeat.apply_async(kwargs={{'name': {probe!r}}}, queue={queue!r})"
    )
    subprocess.run([sys.executable, "-m", "kesu.cli", "shell", "-c", enqueue], env=env,
                   cwd=log.parent, check=True, timeout=120, capture_output=True)

    rows = wait_for_rows([probe, f"{name}@"], log)

    # The enqueued task ran with our argument; the worker's own start-up heartbeat is named
    # after the worker (celery's hostname), proving worker_ready enqueued on its own queue.
    assert rows[probe].name == probe
    assert rows[f"{name}@"].name.startswith(f"{name}@")
    expected_broker = "redis://" if broker == "redis" else "filesystem://"
    assert expected_broker in log.read_text(errors="replace")
