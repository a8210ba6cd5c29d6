"""The SLA clocks of a bulk import as plain rows (ADR 0010): ``build_clocks`` without the objects.

``kesu.sla.actions.build_clocks`` returns unsaved ``CaseClock`` instances and computes every
deadline with ``deadlines()``, which converts the start to working time three times per clock.
An import creates four clocks per case, so that came to ~100 µs of CPU per row — the whole
budget of a 10,000 rows/s import. This module gives the same values as rows of
``CLOCK_COLUMNS``: the targets and calendars come from the same caches, the receipt time is
converted to working time once per case, and a deadline is ``at_w`` of the target's working
time (``deadlines`` takes ``w(at_w(x))``, which is ``x``). ``kesu/sla/tests/test_bulk_clocks.py``
compares the rows with ``build_clocks`` field by field.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kesu.cases.choices import Status
from kesu.cases.models import Case
from kesu.sla.calendars import calendar_for_unit, snapshot, unit_info
from kesu.sla.choices import ClockState
from kesu.sla.policies import Target, active_rules, targets_cached
from kesu.sla.rules import RULES, ClockRule, Trigger, should_start
from kesu.sla.worktime import US_PER_HOUR, US_PER_MINUTE, Unit, WorkCalendar

#: The ``CaseClock`` columns the rows fill, in this order; the others keep their defaults.
CLOCK_COLUMNS = (
    "case_id", "code", "policy_id", "amount", "unit", "warn_percent", "started_at", "due_at", "warn_at",
    "paused_at", "state",
)  # fmt: skip

_PER = {Unit.MINUTES.value: US_PER_MINUTE, Unit.HOURS.value: US_PER_HOUR}


def _due_w(cal: WorkCalendar, started: datetime, w_start: int, amount: int, unit: str) -> int:
    """The working time of the deadline ``cal.add(started, amount, unit)`` gives (and its checks)."""
    if amount <= 0:
        raise ValueError("an SLA amount must be positive")
    per = _PER.get(str(unit))
    if per is None:  # days (or an unknown unit, which Unit() refuses as add() does)
        Unit(unit)
        return cal._days_target(started, int(amount))
    return w_start + round(amount * per)


def clock_rows(cases: Iterable[Case], *, at: datetime) -> list[tuple[Any, ...]]:
    """The clocks ``build_clocks(cases, at=at)`` returns, as tuples of ``CLOCK_COLUMNS``."""
    snap = snapshot()
    rules = active_rules()
    plans: dict[tuple[int, str, str, str, str, str], list[tuple[ClockRule, Target]]] = {}
    out: list[tuple[Any, ...]] = []
    running, paused_state = ClockState.RUNNING, ClockState.PAUSED
    for case in cases:
        level = case.customer.level if case.customer_id and case.customer else "normal"
        key = (case.org_unit_id, case.kind, case.severity or "", case.priority or "", level, case.status)
        plan = plans.get(key)
        if plan is None:
            targets = targets_cached(
                rules, kind=case.kind, severity=case.severity or "", priority=case.priority or "",
                level=level, unit_path=unit_info(case.org_unit_id, snap).path,
            )  # fmt: skip
            plan = plans[key] = [
                (rule, targets[code])
                for code, rule in RULES.items()
                if code in targets and should_start(rule, case.status, Trigger.CREATED, exists=False)
            ]
        if not plan:
            continue
        cal = calendar_for_unit(case.org_unit_id, snap)
        awaiting = case.status == Status.AWAITING_INFO
        w_received: int | None = None
        for rule, target in plan:
            if rule.from_receipt:
                started = case.received_at
                if w_received is None:
                    w_received = cal.w(started)
                w_start = w_received
            else:
                started, w_start = at, cal.w(at)
            w_due = _due_w(cal, started, w_start, target.amount, target.unit)
            share = max(1, round((w_due - w_start) * target.warn_percent / 100))
            paused = awaiting and rule.pausable
            out.append((
                case.pk, target.clock, target.policy_id, target.amount, target.unit, target.warn_percent,
                started, cal.at_w(w_due), cal.at_w(w_start + share),
                max(at, started) if paused else None, paused_state if paused else running,
            ))  # fmt: skip
    return out
