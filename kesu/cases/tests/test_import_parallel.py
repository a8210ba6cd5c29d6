"""Imports written by worker processes (ADR 0012): the coordinator's protocol and a real import."""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from kesu.cases import actions_import
from kesu.cases.actions_import import do_run_import, do_start_import, triage_state
from kesu.cases.events import verify_case_chains
from kesu.cases.import_parallel import (
    AHEAD_PER_WORKER,
    ImportWorkerError,
    ParallelRunner,
    WorkerSetup,
    worker_count,
)
from kesu.cases.models import Case, ImportJob
from kesu.core.errors import ValidationFailed
from kesu.customers.models import Customer
from kesu.org.models import OrgUnit, User
from kesu.triage.models import CaseTriage

STAND_IN = str(Path(__file__).with_name("stand_in_import_worker.py"))
SETUP = WorkerSetup(database_name="-", language="en", actor_id=None, default_unit_code="HQ", columns={})


def batches(n: int, size: int = 3) -> Iterator[list[tuple[int, list[str]]]]:
    """``n`` raw batches of ``size`` lines, numbered from line 2 as a file's rows are."""
    for b in range(n):
        yield [(2 + b * size + i, [f"row {b}.{i}"]) for i in range(size)]


def runner(mode: str, workers: int = 2) -> ParallelRunner:
    return ParallelRunner(SETUP, workers, command=[sys.executable, STAND_IN, mode])


def test_reports_come_back_in_file_order_from_every_worker():
    with runner("slow-even") as run:
        reports = list(run.run("import", batches(9)))
        processes = [w.process for w in run.workers]
    assert [seq for _phase, seq, _lines, _pid in reports] == list(range(9))
    assert reports[4][2] == [14, 15, 16]
    assert {pid for *_, pid in reports} == {p.pid for p in processes}  # both workers wrote
    assert [p.returncode for p in processes] == [0, 0]  # told to stop and ended


def test_a_failed_batch_stops_the_import_after_the_batches_in_flight():
    handed_out = []

    def source():
        for batch in batches(20):
            handed_out.append(batch)
            yield batch

    got = []
    with runner("fail") as run, pytest.raises(ImportWorkerError, match="disk on fire"):
        for report in run.run("import", source()):
            got.append(report[1])
    assert 2 not in got and {0, 1} <= set(got)
    # Batch 2's worker may be slow to start while the other runs ahead, but only so far.
    assert len(handed_out) <= 3 + AHEAD_PER_WORKER * 2 < 20


def test_a_worker_process_that_dies_fails_the_import():
    with runner("die") as run, pytest.raises(ImportWorkerError, match="exit code 3"):
        list(run.run("import", batches(8)))


def test_an_unreadable_line_fails_the_import_after_the_batches_before_it():
    def source():
        yield from batches(3)
        raise ValidationFailed("The CSV file cannot be read: bad line", code="bad_file")

    got = []
    with runner("slow-even") as run, pytest.raises(ValidationFailed, match="bad line"):
        for report in run.run("import", source()):
            got.append(report[1])
    assert got == [0, 1, 2]


# --- a real import on PostgreSQL ------------------------------------------------------------------

pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite imports in one process")

HEADER = ["受理时间", "类型", "标题", "问题描述", "客户姓名", "联系电话", "诉求", "门店"]


def write_file(path: Path, rows: int) -> dict[int, list[str]]:
    """A file whose customers come back across batches, with bad and blank rows; line → row."""
    lines: dict[int, list[str]] = {}
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(rows):
            line = i + 2
            if i % 97 == 50:
                out.writerow([""] * len(HEADER))  # blank: skipped, not counted
                continue
            month = 9 + i % 2
            row = [f"2026-{month:02d}-{1 + i % 28:02d} 10:{i % 60:02d}", "投诉" if i % 3 else "建议",
                   f"第{i}行", "" if i % 41 == 7 else f"茶叶包装破损，第{i}次", f"顾客{i % 37}",
                   f"139{i % 37:08d}", "退款" if i % 2 else "", "S-E1" if i % 5 else "NOPE"]
            out.writerow(row)
            lines[line] = row
    return lines


@pg_only
@pytest.mark.django_db(transaction=True)
def test_an_import_written_by_workers_is_the_import_of_one_process(org, tmp_path, monkeypatch, settings):
    settings.IMPORT_WORKERS = 2
    monkeypatch.setattr(actions_import, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(actions_import, "BATCH_SIZE", 40)
    assert worker_count() == 2
    path = tmp_path / "many.csv"
    rows = write_file(path, 600)
    bad = {line for line, row in rows.items() if not row[3] or row[7] == "NOPE"}
    admin = User.objects.get(username="admin")
    with open(path, "rb") as f:
        job = do_start_import(f, name=path.name, mode=ImportJob.Mode.GOOD_ROWS,
                              org_unit=OrgUnit.objects.get(code="HQ"), actor=admin, enqueue=False)
    job = do_run_import(job.pk, queue_triage=False, language="en")

    assert (job.state, job.failure) == (ImportJob.State.DONE, "")
    assert (job.total_rows, job.imported_rows, job.error_rows) == (len(rows), len(rows) - len(bad), len(bad))
    assert [e["line"] for e in job.errors] == sorted(bad)  # in file order, as one process reports them
    assert "org unit" in next(e["message"] for e in job.errors if rows[e["line"]][7] == "NOPE")
    cases = {c.title: c for c in Case.objects.select_related("customer", "org_unit", "intake_by")}
    assert set(cases) == {rows[line][2] for line in rows if line not in bad}
    one = cases["第1行"]
    assert one.customer is not None
    assert (one.description, one.kind, one.demands, one.customer.phone, one.org_unit.code, one.intake_by) == (
        "茶叶包装破损，第1次", "complaint", ["refund"], "13900000001", "S-E1", admin)
    # One profile per phone although its rows were written by both workers at once.
    assert Customer.objects.count() == len({rows[line][5] for line in rows if line not in bad})
    # Per month the serials are 1…n, each once.
    by_month = Counter(c.number[:9] for c in cases.values())
    for month, n in by_month.items():
        serials = sorted(int(c.number[10:]) for c in cases.values() if c.number.startswith(month))
        assert serials == list(range(1, n + 1))
    assert list(verify_case_chains()) == []
    # Batches this small are triaged by the worker that writes them, as in one process.
    assert triage_state(job) == ""
    assert CaseTriage.objects.filter(case__in=cases.values()).count() == len(cases)


@pg_only
@pytest.mark.django_db(transaction=True)
def test_all_or_nothing_checks_in_workers_and_imports_nothing_when_a_row_is_bad(
    org, tmp_path, monkeypatch, settings
):
    settings.IMPORT_WORKERS = 2
    monkeypatch.setattr(actions_import, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(actions_import, "BATCH_SIZE", 30)
    path = tmp_path / "strict.csv"
    rows = write_file(path, 200)
    bad = sorted(line for line, row in rows.items() if not row[3] or row[7] == "NOPE")
    admin = User.objects.get(username="admin")
    with open(path, "rb") as f:
        job = do_start_import(f, name=path.name, mode=ImportJob.Mode.ALL_OR_NOTHING,
                              org_unit=OrgUnit.objects.get(code="HQ"), actor=admin, enqueue=False)
    job = do_run_import(job.pk, queue_triage=False, language="en")
    assert (job.state, job.imported_rows, job.error_rows) == (ImportJob.State.REJECTED, 0, len(bad))
    assert [e["line"] for e in job.errors] == bad
    assert not Case.objects.exists() and not Customer.objects.exists()
