"""clock_rows (the import's clocks as tuples) gives exactly what build_clocks gives."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import cycle
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kesu.cases.bulk import new_instance
from kesu.cases.models import Case
from kesu.customers.models import Customer
from kesu.org.models import OrgUnit
from kesu.sla.actions import build_clocks
from kesu.sla.bulk_clocks import CLOCK_COLUMNS, clock_rows
from kesu.sla.defaults import install_sla_defaults

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _cases(org: dict[str, OrgUnit]) -> list[Case]:
    """Receipts every 37 minutes over three weeks (nights, weekends, the National Day
    holidays), across units, kinds, severities, priorities, customer levels and statuses."""
    units = cycle(OrgUnit.objects.filter(is_active=True).order_by("code"))
    kinds = cycle(["complaint", "complaint", "inquiry", "suggestion", "praise"])
    severities = cycle(["", "general", "major", "serious", "minor"])
    priorities = cycle(["", "urgent", "important", "general"])
    statuses = cycle(["new", "new", "awaiting_info", "closed"])
    levels = cycle([None, "normal", "vip"])
    start = datetime(2026, 9, 25, 0, 5, tzinfo=SH)
    out = []
    for i in range(800):
        level = next(levels)
        customer = None if level is None else new_instance(Customer, level=level)
        out.append(new_instance(
            Case, id=i + 1, org_unit=next(units), kind=next(kinds), severity=next(severities),
            priority=next(priorities), status=next(statuses), customer=customer,
            received_at=start + timedelta(minutes=37 * i),
        ))  # fmt: skip
    return out


def test_the_rows_are_the_clocks_build_clocks_makes(org: Any) -> None:
    install_sla_defaults()
    cases = _cases(org)
    at = datetime(2026, 10, 20, 10, 0, tzinfo=SH)
    expected = [tuple(getattr(clock, name) for name in CLOCK_COLUMNS) for clock in build_clocks(cases, at=at)]
    got = clock_rows(cases, at=at)
    assert got == expected
    assert len(got) > 1000  # several clocks for most cases
    assert {row[CLOCK_COLUMNS.index("unit")] for row in got} >= {"hours", "days"}
    assert {row[CLOCK_COLUMNS.index("state")] for row in got} == {"running", "paused"}


def test_shared_deadlines_and_clocks_started_at_the_import_time(org: Any) -> None:
    """Deadlines are shared by receipts with the same working time (memoised across calls);
    a clock counted from ``at`` (the callback of a replied case) gets ``at``'s deadlines."""
    install_sla_defaults()
    cases = _cases(org)
    for case in cases[::3]:
        case.status = "replied"
    at = datetime(2026, 10, 20, 10, 0, tzinfo=SH)
    expected = [tuple(getattr(clock, name) for name in CLOCK_COLUMNS) for clock in build_clocks(cases, at=at)]
    assert clock_rows(cases, at=at) == expected
    assert clock_rows(cases, at=at) == expected  # from the memo
    assert any(row[CLOCK_COLUMNS.index("code")] == "callback" for row in expected)
    later = datetime(2026, 10, 21, 16, 0, tzinfo=SH)
    expected_later = [
        tuple(getattr(clock, name) for name in CLOCK_COLUMNS) for clock in build_clocks(cases, at=later)
    ]
    assert clock_rows(cases, at=later) == expected_later != expected
