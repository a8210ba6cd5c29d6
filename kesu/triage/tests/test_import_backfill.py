"""Triage after a large import (ADR 0010): the task gives what the inline path gives."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import transaction

from kesu.cases import actions_import
from kesu.cases.actions_import import do_run_import, do_start_import, do_triage_import, triage_state
from kesu.cases.events import verify_case_chains
from kesu.cases.models import Case, CaseEvent
from kesu.core.models import AuditEvent
from kesu.org.models import OrgUnit
from kesu.sla.defaults import install_sla_defaults
from kesu.sla.models import CaseClock
from kesu.triage.backfill import add_ids, count_ids, do_triage_imported, iter_ids
from kesu.triage.core.model import TriageModel
from kesu.triage.models import CaseTriage
from kesu.triage.tests.support import product_defaults, shared_data_dir

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("triage_data")]

WITH_KIND = (
    "描述,手机,受理时间,类型\n"
    "快递太慢了，一周还没到,13800001111,2026-09-30 16:00,投诉\n"
    "挺好,13800002222,2026-09-30 17:00,投诉\n"
    "收到的茶叶包装破损，产品发霉了,13800003333,2026-10-02 09:10,投诉\n"
    "服务员态度很差，爱答不理,13800001111,2026-10-03 20:00,\n"
)
WITHOUT_KIND = (
    "描述,手机,受理时间\n挺好,13800002222,2026-09-30 17:00\n"
    "收到的茶叶包装破损，产品发霉了,,2026-10-02 09:10\n"
)
CLOCK_FIELDS = ("code", "policy_id", "amount", "unit", "warn_percent", "started_at", "due_at", "warn_at",
                "stopped_at", "state")  # fmt: skip


@pytest.fixture(scope="module")
def triage_data_dir(tmp_path_factory: pytest.TempPathFactory, starter_model: TriageModel) -> Any:
    return shared_data_dir(tmp_path_factory, starter_model)


@pytest.fixture
def triage_data(settings: Any, triage_data_dir: Any, org: Any) -> None:
    settings.DATA_DIR = triage_data_dir
    product_defaults()
    install_sla_defaults()


def _import(text: str) -> Any:
    job = do_start_import(io.BytesIO(text.encode()), name="x.csv", mode="good_rows",
                          org_unit=OrgUnit.objects.get(code="HQ"), actor=None, enqueue=False)  # fmt: skip
    return do_run_import(job.pk)


def _state() -> list[tuple[Any, ...]]:
    """Per case, by receipt: its classification, its triage and its clocks (numbers differ)."""
    out = []
    for case in Case.objects.select_related("category").order_by("received_at", "pk"):
        row = CaseTriage.objects.get(case=case)
        clocks = sorted(CaseClock.objects.filter(case=case).values_list(*CLOCK_FIELDS))
        out.append((
            case.received_at, case.kind, case.status, case.category.code if case.category else None,
            case.severity, case.priority, case.validity, case.emotion, case.missing_fields,
            row.model_version, row.suggestions, {f: d["state"] for f, d in row.decisions.items()},
            sorted(CaseEvent.objects.filter(case=case).values_list("seq", "type")), clocks,
        ))  # fmt: skip
    return out


class Rollback(Exception):
    pass


def _run(text: str, *, deferred: bool, monkeypatch: Any, capture: Any) -> list[tuple[Any, ...]]:
    monkeypatch.setattr(actions_import, "INLINE_TRIAGE_ROWS", 0 if deferred else 10_000)
    try:
        with transaction.atomic():
            # Rows whose kind the file left empty are triaged by the import itself (a changed
            # kind decides whether a case has clocks at all); the others by the task.
            queued = deferred and text == WITH_KIND
            with capture(execute=True) as callbacks:
                job = _import(text)
                if queued:
                    assert triage_state(job) == "pending"
                    assert CaseTriage.objects.count() == 1  # the row without a kind
            assert len(callbacks) == (1 if queued else 0)  # the Celery task (eager in tests)
            assert triage_state(job) == ("done" if queued else "")
            got = _state()
            assert list(verify_case_chains()) == []
            raise Rollback
    except Rollback:
        return got


@pytest.mark.parametrize("text", [WITH_KIND, WITHOUT_KIND], ids=["kind-given", "kind-defaulted"])
def test_the_task_stores_what_inline_triage_stores_and_resyncs_the_clocks(
    text: str, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    inline = _run(text, deferred=False, monkeypatch=monkeypatch, capture=django_capture_on_commit_callbacks)
    later = _run(text, deferred=True, monkeypatch=monkeypatch, capture=django_capture_on_commit_callbacks)
    assert later == inline
    assert any(entry[-1] for entry in inline)  # the cases have clocks
    assert any(entry[5] or entry[4] for entry in inline)  # and triage applied something


def test_the_backfill_runs_once_and_skips_what_is_triaged(monkeypatch: Any) -> None:
    monkeypatch.setattr(actions_import, "INLINE_TRIAGE_ROWS", 0)
    job = _import(WITH_KIND)  # not queued: no on-commit callbacks run inside the test's transaction
    assert triage_state(job) == "pending"
    first = do_triage_import(job.pk)
    assert first is not None and first.triaged == 3  # the fourth row had no kind: triaged at once
    assert do_triage_import(job.pk) is None
    assert CaseTriage.objects.count() == 4
    assert AuditEvent.objects.filter(type="import.triaged").count() == 1
    ids = list(Case.objects.values_list("pk", flat=True))
    assert do_triage_imported(add_ids([], ids)).triaged == 0  # every case has its row already


def test_id_ranges() -> None:
    ranges = add_ids([], [3, 4, 5, 9, 10, 12])
    assert ranges == [[3, 5], [9, 10], [12, 12]]
    assert add_ids(ranges, [13, 20]) == [[3, 5], [9, 10], [12, 13], [20, 20]]
    assert list(iter_ids(ranges)) == [3, 4, 5, 9, 10, 12, 13, 20] and count_ids(ranges) == 8


def test_kesu_import_triage_now_waits_for_the_suggestions(
    monkeypatch: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    """``kesu import --triage-now`` adds the deferred suggestions itself and says so; without
    it the command reports them pending (the worker's task adds them)."""
    from django.core.management import call_command
    from django.utils import translation

    monkeypatch.setattr(actions_import, "INLINE_TRIAGE_ROWS", 0)
    path = tmp_path / "cases.csv"
    path.write_text(WITH_KIND, encoding="utf-8")
    out = io.StringIO()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=False):
        call_command("import", str(path), stdout=out)
    assert "Triage suggestions: pending (added in the background)" in out.getvalue()
    assert CaseTriage.objects.count() == 1  # only the row without a kind is triaged inline

    out = io.StringIO()
    with translation.override("en"):
        call_command("import", str(path), "--triage-now", stdout=out)
    assert "Triage suggestions: done" in out.getvalue()
    # All of the second file's cases; of the first, still only the inline one (the worker's task
    # was never run here).
    assert CaseTriage.objects.count() == 1 + 4
