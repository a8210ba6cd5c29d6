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


#: Deadlines of one case's clocks by (calendar, targets, working time of the receipt), kept
#: across batches: receipts in a night, a weekend or a holiday share their working time, hence
#: all their deadlines. Cleared when it grows past this many entries.
_DEADLINES_MEMO_SIZE = 20_000
_deadlines_memo: dict[tuple[Any, ...], list[tuple[datetime, datetime]]] = {}
#: A number per distinct list of (starts at receipt, target) ever planned: a few dozen. Never
#: cleared, so that a number always means the same targets.
_signature_ids: dict[tuple[tuple[bool, Target], ...], int] = {}


#: A case's clocks, what their deadlines depend on, and whether they start at receipt / at ``at``.
_Plan = tuple[list[tuple[ClockRule, Target]], int, bool, bool]


def _deadlines(
    cal: WorkCalendar, plan: list[tuple[ClockRule, Target]], started: datetime, w_received: int | None,
    at: datetime, w_at: int | None,
) -> list[tuple[datetime, datetime]]:
    """(due_at, warn_at) per clock of ``plan`` for a case received at ``started``."""
    out = []
    for rule, target in plan:
        begun, w_start = (started, w_received) if rule.from_receipt else (at, w_at)
        assert w_start is not None
        w_due = _due_w(cal, begun, w_start, target.amount, target.unit)
        share = max(1, round((w_due - w_start) * target.warn_percent / 100))
        out.append((cal.at_w(w_due), cal.at_w(w_start + share)))
    return out


def clock_rows(cases: Iterable[Case], *, at: datetime) -> list[tuple[Any, ...]]:
    """The clocks ``build_clocks(cases, at=at)`` returns, as tuples of ``CLOCK_COLUMNS``.

    A case's deadlines depend on its receipt only through the receipt's working time, so they
    are computed once per (calendar, targets, working time) and shared (``_deadlines_memo``):
    ~70 % of receipts fall outside working hours. The receipt's working time is computed once
    per case; the import time's once per calendar.
    """
    snap = snapshot()
    rules = active_rules()
    plans: dict[tuple[int, str, str, str, str, str], _Plan] = {}
    calendars: dict[int, WorkCalendar] = {}
    w_ats: dict[WorkCalendar, int] = {}
    memo = _deadlines_memo
    out: list[tuple[Any, ...]] = []
    append = out.append
    running, paused_state = ClockState.RUNNING, ClockState.PAUSED
    for case in cases:
        level = case.customer.level if case.customer_id and case.customer else "normal"
        key = (case.org_unit_id, case.kind, case.severity or "", case.priority or "", level, case.status)
        found = plans.get(key)
        if found is None:
            targets = targets_cached(
                rules, kind=case.kind, severity=case.severity or "", priority=case.priority or "",
                level=level, unit_path=unit_info(case.org_unit_id, snap).path,
            )  # fmt: skip
            plan = [
                (rule, targets[code])
                for code, rule in RULES.items()
                if code in targets and should_start(rule, case.status, Trigger.CREATED, exists=False)
            ]
            # What the deadlines depend on besides the calendar and the receipt's working time,
            # as a number: a tuple of Targets would be hashed (in Python) at every lookup.
            signature = _signature_ids.setdefault(
                tuple((rule.from_receipt, target) for rule, target in plan), len(_signature_ids)
            )
            from_receipt = any(rule.from_receipt for rule, _ in plan)
            from_at = not all(rule.from_receipt for rule, _ in plan)
            found = plans[key] = (plan, signature, from_receipt, from_at)
        plan, signature, from_receipt, from_at = found
        if not plan:
            continue
        cal = calendars.get(case.org_unit_id)
        if cal is None:
            cal = calendars[case.org_unit_id] = calendar_for_unit(case.org_unit_id, snap)
        w_at = None
        if from_at:
            w_at = w_ats.get(cal)
            if w_at is None:
                w_at = w_ats[cal] = cal.w(at)
        started = case.received_at
        w_received = cal.w(started) if from_receipt else None
        memo_key = (cal, signature, w_received, w_at)
        deadlines = memo.get(memo_key)
        if deadlines is None:
            deadlines = _deadlines(cal, plan, started, w_received, at, w_at)
            if len(memo) >= _DEADLINES_MEMO_SIZE:
                memo.clear()
            memo[memo_key] = deadlines
        paused = case.status == Status.AWAITING_INFO
        for (rule, target), (due_at, warn_at) in zip(plan, deadlines, strict=True):
            on_hold = paused and rule.pausable
            begun = started if rule.from_receipt else at
            append((
                case.pk, target.clock, target.policy_id, target.amount, target.unit, target.warn_percent,
                begun, due_at, warn_at,
                max(at, begun) if on_hold else None, paused_state if on_hold else running,
            ))  # fmt: skip
    return out
