"""Writes of SLA clocks and escalations (WF-3, WF-4, WF-5; ARCHITECTURE rules 1 and 6).

The case actions call ``sync_case_clocks`` inside their transaction after every create,
status change, classification change and customer-visible reply; it applies the table of
``kesu.sla.rules`` and stores each clock's deadline and warning time, so the sweep never
computes anything. ``do_track_promise`` sets the promised reply time, ``do_escalate_case``
moves a case one level up the chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.cases import events
from kesu.cases.choices import Status
from kesu.cases.models import Case
from kesu.core import sqlcache
from kesu.core.errors import ValidationFailed
from kesu.org.models import User
from kesu.sla.calendars import calendar_for_unit, snapshot, unit_info
from kesu.sla.choices import ClockCode, ClockState, SlaEvent
from kesu.sla.escalation import current_level, next_level
from kesu.sla.models import CaseClock, Escalation
from kesu.sla.policies import Target, active_rules, targets_cached
from kesu.sla.rules import RULES, TRIGGERS, ClockRule, Trigger, should_start, should_stop
from kesu.sla.worktime import WorkCalendar

PROMISE_WARN_PERCENT = 80


def notify(
    event: str, *, case: Case, recipients: Iterable[User], context: dict[str, Any], actor: User | None = None
) -> None:
    """Adapter to ``kesu.notify.actions.notify`` (outbox rows in the current transaction)."""
    try:
        from kesu.notify.actions import notify as notify_action
    except ImportError:  # the notify app is not installed in this build
        return
    people = [u for u in recipients if u is not None]
    if people:
        notify_action(event, case=case, recipients=people, context=context, actor=actor)


def deadlines(
    cal: WorkCalendar, started_at: datetime, amount: int, unit: str, paused_us: int, warn_percent: int
) -> tuple[datetime, datetime]:
    """(due, warn) of a policy clock: the target from ``started_at``, moved by the paused time."""
    w_start = cal.w(started_at)
    w_due = cal.w(cal.add(started_at, amount, unit))
    share = max(1, round((w_due - w_start) * warn_percent / 100))
    return cal.at_w(w_due + paused_us), cal.at_w(w_start + share + paused_us)


def _recompute(clock: CaseClock, cal: WorkCalendar) -> None:
    if clock.code == ClockCode.PROMISE or clock.amount is None:
        clock.warn_at = cal.warn_at(clock.started_at, clock.due_at, clock.warn_percent / 100)
        return
    clock.due_at, clock.warn_at = deadlines(
        cal, clock.started_at, clock.amount, clock.unit, clock.paused_us, clock.warn_percent
    )


def _apply_target(clock: CaseClock, target: Target) -> None:
    clock.policy_id, clock.amount, clock.unit = target.policy_id, target.amount, target.unit
    clock.warn_percent = target.warn_percent


_DEADLINE_FIELDS = ["due_at", "warn_at"]


def _new_clock(case: Case, target: Target, cal: WorkCalendar, started_at: datetime) -> CaseClock:
    from kesu.cases.bulk import new_instance  # kesu.cases.bulk imports this module

    # ``CaseClock(...)`` without ``Model.__init__``'s per-field work (every intake builds a few).
    clock = new_instance(CaseClock, case=case, code=target.clock, started_at=started_at)
    _apply_target(clock, target)
    _recompute(clock, cal)
    return clock


def _stop(clock: CaseClock, at: datetime) -> list[str]:
    clock.stopped_at = max(at, clock.started_at)
    if clock.breached_at is None and clock.due_at < clock.stopped_at:
        clock.breached_at = clock.due_at  # late, even if no sweep saw it in time
    clock.state = ClockState.BREACHED if clock.breached_at else ClockState.MET
    return ["stopped_at", "state", "breached_at"]


def _resume(clock: CaseClock, cal: WorkCalendar, at: datetime) -> list[str]:
    assert clock.paused_at is not None
    clock.paused_us += max(0, cal.working_us_between(clock.paused_at, at))
    clock.paused_at = None
    clock.state = ClockState.BREACHED if clock.breached_at else ClockState.RUNNING
    _recompute(clock, cal)
    return ["paused_us", "paused_at", "state", *_DEADLINE_FIELDS]


def _advance(
    clock: CaseClock,
    rule: ClockRule,
    cal: WorkCalendar,
    status: str,
    trigger: str,
    at: datetime,
    target: Target | None,
) -> None:
    """Resume, stop, retarget or pause one running clock as the table says."""
    changed: list[str] = []
    if clock.paused_at is not None and status != Status.AWAITING_INFO:
        changed += _resume(clock, cal, at)
    if should_stop(rule, status, trigger):
        changed += _stop(clock, at)
    else:
        if (
            target is not None
            and clock.code != ClockCode.PROMISE
            and (
                (clock.policy_id, clock.amount, clock.unit, clock.warn_percent)
                != (target.policy_id, target.amount, target.unit, target.warn_percent)
            )
        ):
            _apply_target(clock, target)  # a reclassification: new target, original start
            _recompute(clock, cal)
            changed += ["policy", "amount", "unit", "warn_percent", *_DEADLINE_FIELDS]
        if status == Status.AWAITING_INFO and rule.pausable and clock.paused_at is None:
            clock.paused_at, clock.state = max(at, clock.started_at), ClockState.PAUSED
            changed += ["paused_at", "state"]
    if changed:
        clock.save(update_fields=sorted(set(changed)))


def _restart(clock: CaseClock, target: Target, cal: WorkCalendar, at: datetime) -> None:
    clock.started_at, clock.paused_us, clock.paused_at, clock.stopped_at = at, 0, None, None
    clock.warned_at = clock.breached_at = None
    clock.state = ClockState.RUNNING
    _apply_target(clock, target)
    _recompute(clock, cal)
    clock.save()


def case_targets(case: Case, unit_path: str | None = None) -> dict[str, Target]:
    """The SLA targets that apply to ``case`` now, per clock code."""
    level = case.customer.level if case.customer_id and case.customer else "normal"
    return targets_cached(
        active_rules(),
        kind=case.kind,
        severity=case.severity or "",
        priority=case.priority or "",
        level=level,
        unit_path=unit_path if unit_path is not None else unit_info(case.org_unit_id).path,
    )


def sync_case_clocks(case: Case, *, at: datetime, trigger: str, new_case: bool = False) -> None:
    """Bring the clocks of ``case`` in line with its status and classification. Idempotent.

    Called inside the caller's transaction; ``trigger`` is created | status | classified |
    reply_sent. Reads ``case.status``, kind, severity, priority, customer level and org unit.
    ``new_case``: the case was INSERTed in this transaction, so it has no clocks to read —
    unless a sync already ran on this instance since (e.g. a step of intake reclassified it),
    which is remembered on the instance and then the clocks are read as usual.
    """
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}")
    snap = snapshot()
    cal = calendar_for_unit(case.org_unit_id, snap)
    targets = case_targets(case, unit_info(case.org_unit_id, snap).path)
    fresh = new_case and not getattr(case, "_kesu_clocks_synced", False)
    case._kesu_clocks_synced = True  # type: ignore[attr-defined]
    clocks = {} if fresh else {c.code: c for c in CaseClock.objects.filter(case_id=case.pk).order_by()}
    created: list[CaseClock] = []
    for code, rule in RULES.items():
        clock = clocks.get(code)
        if clock is not None and clock.stopped_at is None:
            _advance(clock, rule, cal, case.status, trigger, at, targets.get(code))
        elif code in targets and should_start(rule, case.status, trigger, exists=clock is not None):
            if clock is not None:
                _restart(clock, targets[code], cal, at)
                continue
            started = case.received_at if rule.from_receipt else at
            clock = _new_clock(case, targets[code], cal, started)
            if case.status == Status.AWAITING_INFO and rule.pausable:
                clock.paused_at, clock.state = max(at, started), ClockState.PAUSED
            created.append(clock)
    sqlcache.insert(created)  # one INSERT of a fixed shape, compiled once: every intake has a few
    # Every clock of the case as now stored, for an answer built right after this (intake's).
    case._kesu_clocks = ([*clocks.values(), *created], cal)  # type: ignore[attr-defined]


def synced_clocks(case: Case) -> tuple[list[CaseClock], WorkCalendar] | None:
    """The clocks the last ``sync_case_clocks`` on this instance left stored, with the case's
    calendar, or None if it ran on another instance. Only for an answer built in the same
    request right after the action (it saves reading them, and the calendar's generation, back)."""
    synced: tuple[list[CaseClock], WorkCalendar] | None = getattr(case, "_kesu_clocks", None)
    return synced


def build_clocks(cases: Iterable[Case], *, at: datetime) -> list[CaseClock]:
    """The clocks ``sync_case_clocks(case, at=at, trigger="created", new_case=True)`` would
    create for each of ``cases`` (new, unsaved, all relations loaded), as unsaved rows.

    For bulk intake. Receipt clocks count from each case's ``received_at``, exactly as for a
    case registered one by one: an imported case that is still open and was received long ago
    is past due, and the next sweep marks it breached and escalates it (ADR 0004). Import cases
    that are already dealt with as finished instead — a finished case gets no clocks.
    Targets and calendars are looked up once per distinct (unit, classification, level).
    """
    from kesu.cases.bulk import new_instance  # kesu.cases.bulk imports this module

    snap = snapshot()
    rules = active_rules()
    plans: dict[tuple[int, str, str, str, str, str], list[tuple[ClockRule, Target]]] = {}
    out: list[CaseClock] = []
    for case in cases:
        level = case.customer.level if case.customer_id and case.customer else "normal"
        key = (case.org_unit_id, case.kind, case.severity or "", case.priority or "", level, case.status)
        plan = plans.get(key)
        if plan is None:
            targets = targets_cached(rules, kind=case.kind, severity=case.severity or "",
                                     priority=case.priority or "", level=level,
                                     unit_path=unit_info(case.org_unit_id, snap).path)
            plan = plans[key] = [
                (rule, targets[code]) for code, rule in RULES.items()
                if code in targets and should_start(rule, case.status, Trigger.CREATED, exists=False)
            ]
        if not plan:
            continue
        cal = calendar_for_unit(case.org_unit_id, snap)
        for rule, target in plan:
            started = case.received_at if rule.from_receipt else at
            due, warn = deadlines(cal, started, target.amount, target.unit, 0, target.warn_percent)
            paused = case.status == Status.AWAITING_INFO and rule.pausable
            # What _new_clock builds, by the positional path (keyword construction of a model
            # costs more than the working-time arithmetic).
            out.append(new_instance(
                CaseClock, case=case, code=target.clock, started_at=started, policy_id=target.policy_id,
                amount=target.amount, unit=target.unit, warn_percent=target.warn_percent, due_at=due,
                warn_at=warn, paused_at=max(at, started) if paused else None,
                state=ClockState.PAUSED if paused else ClockState.RUNNING,
            ))
    return out


def start_clocks_bulk(cases: Iterable[Case], *, at: datetime) -> list[CaseClock]:
    """``build_clocks`` and insert them: the clocks of a batch of cases created in the caller's
    transaction, with one ``bulk_create``. Returns the clocks (saved)."""
    clocks = build_clocks(cases, at=at)
    if clocks:
        CaseClock.objects.bulk_create(clocks, batch_size=2000)
    return clocks


def do_track_promise(
    case: Case, due_at: datetime, *, actor: User | None, at: datetime | None = None
) -> CaseClock:
    """Track the reply time promised to the customer (WF-5) as the case's ``promise`` clock.

    A new promise replaces the previous one. The clock stops at the next customer-visible
    reply; it does not pause while the case awaits information.
    """
    at = at or timezone.now()
    if due_at.tzinfo is None or due_at <= at:
        raise ValidationFailed(
            _("The promised time must be in the future."),
            code="promise_in_past",
            fields={"promised_reply_at": [_("Please choose a later time.")]},
        )
    cal = calendar_for_unit(case.org_unit_id)
    with transaction.atomic():
        clock = CaseClock.objects.filter(case_id=case.pk, code=ClockCode.PROMISE).first()
        clock = clock or CaseClock(case=case, code=ClockCode.PROMISE)
        clock.started_at, clock.due_at, clock.amount, clock.unit, clock.policy = at, due_at, None, "", None
        clock.paused_at, clock.paused_us, clock.stopped_at = None, 0, None
        clock.warned_at = clock.breached_at = None
        clock.state, clock.warn_percent = ClockState.RUNNING, PROMISE_WARN_PERCENT
        _recompute(clock, cal)
        clock.save()
    return clock


@dataclass(frozen=True)
class EscalationResult:
    case: Case
    #: The level reached; equal to ``previous_level`` when the case was already at the top.
    level: int
    previous_level: int
    level_name: str
    targets: list[User]
    reason: str
    escalation: Escalation | None

    @property
    def raised(self) -> bool:
        return self.level > self.previous_level


def do_escalate_case(
    case: Case, *, reason: str, actor: User | None, at: datetime | None = None, clocks: Iterable[str] = ()
) -> EscalationResult:
    """Move ``case`` one level up the escalation chain, record it and notify the new level.

    Manual (a user moved the case to "escalated") or by the sweep for breached ``clocks``.
    At the top of the chain nothing is recorded and ``raised`` is False.
    """
    at = at or timezone.now()
    codes = ",".join(clocks)
    with transaction.atomic():
        previous = current_level(case)
        nxt = next_level(case.org_unit_id, previous)
        if nxt is None:
            return EscalationResult(case, previous, previous, "", [], reason, None)
        row = Escalation.objects.create(
            case=case,
            level=nxt.level,
            level_name=nxt.name,
            reason=reason[:300],
            clock=codes[:60],
            actor=actor if getattr(actor, "pk", None) else None,
            at=at,
        )
        row.targets.set(nxt.users)
        if codes:
            CaseClock.objects.filter(case_id=case.pk, code__in=codes.split(",")).update(
                escalation_level=nxt.level
            )
        events.append(
            case,
            SlaEvent.ESCALATED,
            actor=actor,
            data={
                "new": {
                    "level": nxt.level,
                    "level_name": nxt.name,
                    "targets": [u.username for u in nxt.users],
                    "reason": reason,
                    "clocks": codes.split(",") if codes else [],
                    "previous_level": previous,
                }
            },
        )
        notify(
            SlaEvent.ESCALATED,
            case=case,
            recipients=nxt.users,
            actor=actor,
            context={"level": nxt.name, "level_number": nxt.level, "reason": reason, "clocks": codes},
        )
    return EscalationResult(case, nxt.level, previous, nxt.name, nxt.users, reason, row)
