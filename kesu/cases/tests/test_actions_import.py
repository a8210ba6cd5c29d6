"""Import jobs: start checks, the Celery task runs a job once, batches, failures are recorded."""

from __future__ import annotations

import io

import pytest

from kesu.cases import actions_import, bulk
from kesu.cases.actions_import import do_run_import, do_start_import
from kesu.cases.models import Case, ImportJob
from kesu.cases.tasks import run_import
from kesu.core.errors import Forbidden, ValidationFailed
from kesu.core.models import AuditEvent
from kesu.customers.actions import CustomerInput, do_find_or_create_customer
from kesu.customers.models import Customer
from kesu.org.models import OrgUnit


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def content(rows: list[str], header: str = "描述,手机,受理时间") -> io.BytesIO:
    return io.BytesIO((header + "\n" + "\n".join(rows) + "\n").encode())


def start(rows: list[str], *, mode: str = ImportJob.Mode.GOOD_ROWS, unit: str = "HQ", actor=None,
          enqueue: bool = False) -> ImportJob:
    return do_start_import(content(rows), name="x.csv", mode=mode, org_unit=OrgUnit.objects.get(code=unit),
                           actor=actor, enqueue=enqueue)


@pytest.mark.django_db
def test_the_task_runs_a_job_once(org):
    job = start(["坏了,13800001111,2026-09-30 16:00"])
    run_import.delay(job.pk)
    run_import.delay(job.pk)
    assert do_run_import(job.pk).state == "done"
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(type="import.finished").count() == 1


@pytest.mark.django_db
def test_start_enqueues_the_task_on_commit(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = start(["坏了,,"], enqueue=True)
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.state, job.imported_rows) == ("done", 1)


@pytest.mark.django_db
def test_batches_keep_line_numbers_customers_and_numbers(org, monkeypatch):
    monkeypatch.setattr(actions_import, "BATCH_SIZE", 3)
    rows = [f"问题{i},1380000{i % 4:04d},2026-09-{i + 1:02d} 10:00" for i in range(10)]
    rows[7] = ",13800000003,2026-09-08 10:00"
    job = do_run_import(start(rows).pk)
    assert (job.total_rows, job.imported_rows, job.error_rows) == (10, 9, 1)
    assert job.errors == [{"line": 9, "message": "description: Please describe the problem."}]
    assert Customer.objects.count() == 4
    assert list(Case.objects.order_by("number").values_list("number", "description"))[-1] == (
        "KS-202609-00009", "问题9")


@pytest.mark.django_db
def test_start_refuses_roles_scopes_files_and_modes(make_user):
    with pytest.raises(Forbidden):
        start(["x,,"], actor=make_user("handler"))
    with pytest.raises(ValidationFailed) as exc:
        start(["x,,"], actor=make_user("cs_supervisor", unit="EAST"), unit="SOUTH")
    assert exc.value.fields == {"org_unit": ["Outside your scope."]}
    with pytest.raises(ValidationFailed):
        do_start_import(content([]), name="x.xls", mode="good_rows", org_unit=OrgUnit.objects.get(code="HQ"),
                        actor=None)
    with pytest.raises(ValidationFailed):
        start(["x,,"], mode="some")
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_an_unexpected_error_marks_the_job_failed_and_is_raised(org, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(actions_import, "do_import_batch", boom)
    job = start(["坏了,,"])
    with pytest.raises(RuntimeError):
        do_run_import(job.pk)
    job.refresh_from_db()
    assert (job.state, job.failure) == ("failed", "RuntimeError('disk full')")
    assert AuditEvent.objects.get(type="import.finished").data["state"] == "failed"
    assert do_run_import(job.pk).state == "failed"  # not run again


@pytest.mark.django_db
def test_a_customer_created_concurrently_is_used_after_a_retry(org, monkeypatch):
    """Another intake commits the same phone between our lookup and our insert."""
    do_find_or_create_customer(CustomerInput(name="先到", phone="13800001111"), org_unit=None)
    real_init = bulk._CustomerResolver.__init__
    calls = {"n": 0}

    def stale_lookup(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            self.by_phone = {}  # as if looked up just before the other intake committed

    monkeypatch.setattr(bulk._CustomerResolver, "__init__", stale_lookup)
    job = do_run_import(start(["坏了,13800001111,"]).pk)
    assert (job.state, job.imported_rows) == ("done", 1)
    assert calls["n"] == 2
    assert list(Customer.objects.values_list("name", flat=True)) == ["先到"]
    assert Case.objects.get().customer.name == "先到"


@pytest.mark.django_db
def test_a_broken_line_after_imported_batches_fails_the_job_and_keeps_the_rows(org, monkeypatch):
    monkeypatch.setattr(actions_import, "BATCH_SIZE", 2)
    job = do_run_import(start(["一,,", "二,,", "三,,", "长" * 200_000 + ",,"]).pk)
    assert (job.state, job.imported_rows) == ("failed", 2)
    assert job.failure.startswith("The CSV file cannot be read: field larger than field limit")
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_a_nul_character_is_a_bad_row(org):
    job = do_run_import(start(["一,,", "二\0坏,,"], mode=ImportJob.Mode.ALL_OR_NOTHING).pk)
    assert (job.state, job.imported_rows) == ("rejected", 0)
    assert job.errors == [{"line": 3, "message": "description: Contains a NUL character."}]
