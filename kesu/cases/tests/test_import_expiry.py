"""Import jobs left running by a process that died are marked failed (heartbeat, expiry)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from kesu.cases.actions_import import STALE_AFTER, do_expire_stale_imports, do_run_import, do_start_import
from kesu.cases.models import ImportJob
from kesu.core.models import AuditEvent
from kesu.org.models import OrgUnit, User


def job(state: str, heartbeat_ago: timedelta | None, **fields: object) -> ImportJob:
    made = ImportJob(original_name="old.csv", state=state, org_unit=OrgUnit.objects.get(code="HQ"),
                     created_by=User.objects.get(username="admin"), imported_rows=4000, **fields)
    made.file.save("old.csv", ContentFile(b"x"), save=False)
    made.heartbeat_at = None if heartbeat_ago is None else timezone.now() - heartbeat_ago
    made.save()
    return made


@pytest.mark.django_db
def test_a_running_job_without_a_heartbeat_for_long_is_marked_failed(org):
    User.objects.filter(username="admin").update(language="zh-hans")
    dead = job(ImportJob.State.RUNNING, STALE_AFTER + timedelta(minutes=1))
    alive = job(ImportJob.State.RUNNING, STALE_AFTER - timedelta(minutes=1))
    waiting = job(ImportJob.State.PENDING, None)
    finished = job(ImportJob.State.DONE, STALE_AFTER * 3)

    assert do_expire_stale_imports() == 1

    dead.refresh_from_db()
    assert (dead.state, dead.imported_rows) == (ImportJob.State.FAILED, 4000)
    assert dead.failure.startswith("导入已中断") and dead.finished_at is not None
    assert [j.state for j in ImportJob.objects.filter(pk__in=[alive.pk, waiting.pk, finished.pk])
            .order_by("pk")] == ["running", "pending", "done"]
    record = AuditEvent.objects.get(type="import.interrupted")
    assert (record.object_id, record.data["imported_rows"]) == (str(dead.pk), 4000)
    assert do_expire_stale_imports() == 0  # once


@pytest.mark.django_db
def test_a_job_from_before_heartbeats_counts_from_its_creation(org):
    old = job(ImportJob.State.RUNNING, None)
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - STALE_AFTER * 2)
    assert do_expire_stale_imports() == 1
    assert ImportJob.objects.get(pk=old.pk).state == ImportJob.State.FAILED


@pytest.mark.django_db
def test_a_running_import_writes_its_heartbeat(org, tmp_path: Path):
    path = tmp_path / "one.csv"
    path.write_text("问题描述\n茶叶包装破损\n", encoding="utf-8")
    before = timezone.now()
    with open(path, "rb") as f:
        started = do_start_import(f, name=path.name, mode=ImportJob.Mode.GOOD_ROWS,
                                  org_unit=OrgUnit.objects.get(code="HQ"), actor=None, enqueue=False)
    assert started.heartbeat_at is None
    done = do_run_import(started.pk)
    assert done.state == ImportJob.State.DONE
    assert done.heartbeat_at is not None and done.heartbeat_at >= before
    assert do_expire_stale_imports(now=timezone.now() + STALE_AFTER * 2) == 0  # finished: left alone


def test_beat_runs_the_expiry():
    entry = settings.CELERY_BEAT_SCHEDULE["imports-expire-stale"]
    assert entry["task"] == "kesu.cases.expire_stale_imports"
    from kesu.cases import tasks

    assert tasks.expire_stale_imports.name == entry["task"]
