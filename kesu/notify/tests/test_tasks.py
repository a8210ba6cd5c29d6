"""Delivery through a real Celery broker on Redis (set KESU_TEST_REDIS_URL; skipped otherwise).

A worker runs in this process (``celery.contrib.testing.worker.start_worker``) on a queue of
its own; the notification is committed for real, enqueued on commit, carried by Redis and
delivered by the worker to a local HTTP receiver.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import celery
import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_prerun
from django.db import transaction

from kesu.notify.actions import EndpointInput, do_save_webhook_endpoint, notify
from kesu.notify.choices import Event
from kesu.notify.models import Notification, Outbox
from kesu.notify.tasks import deliver

WAIT_SECONDS = 60


def redis_url() -> str:
    url = os.environ.get("KESU_TEST_REDIS_URL", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("no Redis: set KESU_TEST_REDIS_URL — under CI=true a missing service is an error")
        pytest.skip("no Redis: set KESU_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
    return url


@pytest.fixture
def redis_app() -> Any:
    """A Celery app on Redis with its own queue, current while the test runs."""
    url = redis_url()
    app = celery.Celery("kesu-notify-test", set_as_current=False)
    app.conf.update(broker_url=url, task_always_eager=False, task_ignore_result=True,
                    task_default_queue=f"kesu-notify-test-{uuid.uuid4().hex[:10]}",
                    worker_hijack_root_logger=False, broker_connection_retry_on_startup=True)
    assert deliver.name in app.tasks  # shared tasks imported before the app finalises join it
    previous = celery.current_app
    app.set_current()
    try:
        yield app
    finally:
        previous.set_current()


@pytest.mark.django_db(transaction=True)
def test_delivery_goes_through_the_redis_broker(redis_app, person, make_case, http):
    admin = person("root", role="admin")
    do_save_webhook_endpoint(EndpointInput(name="qa", kind="generic", url=http.url(), secret="k",
                                           events=[Event.CASE_ESCALATED]), actor=admin)
    li = person("li")
    case = make_case()
    seen: list[tuple[str, bool]] = []

    def record(task: Any = None, **_: Any) -> None:
        seen.append((task.name, bool(task.request.is_eager)))

    task_prerun.connect(record, weak=False)
    try:
        with start_worker(redis_app, perform_ping_check=False, shutdown_timeout=20):
            with transaction.atomic():
                notify(Event.CASE_ESCALATED, case=case, recipients=[li], context={"level": "大区"})
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline and Outbox.objects.exclude(state="sent").exists():
                time.sleep(0.2)
    finally:
        task_prerun.disconnect(record)
    assert sorted(Outbox.objects.values_list("channel", "state")) == [
        ("email", "sent"), ("in_app", "sent"), ("webhook", "sent")]
    assert seen == [("kesu.notify.tasks.deliver_many", False)]  # one message for the three rows
    assert Notification.objects.get().user == li
    (req,) = http.requests
    assert req.json()["case"]["number"] == case.number
