"""Bulk clock start for imported cases (build_clocks / start_clocks_bulk, via do_import_batch)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from kesu.cases.actions import Classification, NewCase, ProductInput, do_create_case
from kesu.cases.bulk import ImportRow, do_import_batch
from kesu.cases.models import Case
from kesu.customers.actions import CustomerInput
from kesu.org.models import OrgUnit
from kesu.sla.actions import start_clocks_bulk
from kesu.sla.actions_sweep import do_sweep_clocks
from kesu.sla.defaults import install_sla_defaults
from kesu.sla.models import CaseClock

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=SH)


@pytest.fixture
def sla(org: dict[str, OrgUnit]) -> dict[str, OrgUnit]:
    install_sla_defaults()
    return org


INPUTS = [
    NewCase(kind="complaint", channel="import", description="茶叶发霉了", org_unit="S-E1",
            received_at=at("2026-09-30T16:00"), customer=CustomerInput(phone="13900000001", level="vip"),
            product=ProductInput(name="龙井"), demands=["refund"],
            classification=Classification(severity="serious", priority="urgent")),
    NewCase(kind="complaint", channel="import", description="包装破损", org_unit="SOUTH",
            received_at=at("2026-10-08T09:30"), customer=CustomerInput(phone="13900000002")),
    # Incomplete: registered awaiting information, so its receipt clocks start paused.
    NewCase(kind="complaint", channel="import", description="坏了", org_unit="HQ",
            received_at=at("2026-10-09T11:00")),
    NewCase(kind="inquiry", channel="import", description="请问保质期多久", org_unit="S-E2",
            received_at=at("2026-10-10T10:00"), customer=CustomerInput(email="q@example.cn")),
]
CLOCK_FIELDS = ("code", "policy_id", "amount", "unit", "warn_percent", "started_at", "due_at", "warn_at",
                "paused_at", "paused_us", "stopped_at", "state", "breached_at", "escalation_level")


def _clocks() -> list[tuple[Any, ...]]:
    """Every clock by the order of its case's receipt (numbers differ between the two runs);
    a pause starts at the moment of intake, so only whether there is one is compared."""
    return sorted(
        (case_received, *values[:8], values[8] is not None, *values[9:])
        for case_received, *values in CaseClock.objects.values_list("case__received_at", *CLOCK_FIELDS)
    )


class Rollback(Exception):
    pass


def _run(create: Any) -> list[tuple[Any, ...]]:
    try:
        with transaction.atomic():
            create()
            got = _clocks()
            raise Rollback
    except Rollback:
        return got


def test_an_import_starts_the_clocks_intake_starts(sla: Any) -> None:
    one_by_one = _run(lambda: [do_create_case(data, actor=None) for data in INPUTS])
    batched = _run(lambda: do_import_batch([ImportRow(line=i + 2, data=d) for i, d in enumerate(INPUTS)],
                                           actor=None))
    assert batched == one_by_one
    assert len(batched) >= 4 * 3  # several clocks per case
    paused = [c for c in batched if c[0] == at("2026-10-09T11:00")]
    assert paused and all(c[CLOCK_FIELDS.index("state") + 1] == "paused" for c in paused)


def test_old_open_imported_cases_are_breached_by_the_next_sweep(sla: Any) -> None:
    do_import_batch([ImportRow(line=2, data=INPUTS[0])], actor=None)
    case = Case.objects.get()
    assert CaseClock.objects.filter(case=case, breached_at__isnull=True).count() == CaseClock.objects.filter(
        case=case).count() > 0
    result = do_sweep_clocks(now=at("2026-11-23T10:00"))
    assert result.breached == CaseClock.objects.filter(case=case).count()
    assert not CaseClock.objects.filter(case=case, breached_at__isnull=True).exists()


def test_finished_cases_get_no_clocks(sla: Any) -> None:
    result = do_import_batch([ImportRow(line=2, data=INPUTS[1])], actor=None)
    case = result.cases[0]
    case.status = "closed"
    assert start_clocks_bulk([case], at=at("2026-10-08T10:00")) == []
    assert CaseClock.objects.filter(case=case).count() > 0  # only those the import itself started


def test_a_new_case_synced_twice_in_its_intake_keeps_one_clock_of_each_kind(sla: Any) -> None:
    """``new_case`` skips reading the clocks only for the first sync of the instance."""
    from kesu.sla.actions import sync_case_clocks

    with transaction.atomic():
        case = do_create_case(INPUTS[1], actor=None).case
        before = CaseClock.objects.filter(case=case).count()
        sync_case_clocks(case, at=at("2026-10-08T10:00"), trigger="created", new_case=True)
    assert CaseClock.objects.filter(case=case).count() == before > 0
