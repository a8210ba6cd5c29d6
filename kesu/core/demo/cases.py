"""Register the planned demo cases and replay their lives through the real actions.

The demo replays a year of history, so each action runs with Django's clock set to the
moment it would have happened (the intake a few minutes after the call, the classification
within hours, then acceptance, routing, investigation, reply, callback and closing over
days). Events, ``created_at``, SLA clocks and the hash chains then read as they would after
a year of real use, instead of showing two thousand cases all handled in the same minute.

The load runs in two passes around a cut-off moment (a day before the end): first
everything up to the cut-off, case by case in order of receipt; then ``at_cutoff`` (the
notifications of the past are delivered and read); then everything after it. Case numbers
stay in order of receipt because every case received before the cut-off exists before any
later one is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from kesu.cases.actions import Classification, do_classify_case, do_create_case
from kesu.cases.models import Case
from kesu.core.demo.plan import CasePlan
from kesu.core.demo.replay import Replayer, Stuck, clock_at
from kesu.core.demo.steps import Step
from kesu.org.models import User

__all__ = ["clock_at", "create_cases"]


@dataclass(frozen=True)
class _Classify:
    at: datetime
    classification: Classification
    by: str


Op = _Classify | Step


@dataclass
class _Pending:
    plan: CasePlan
    case: Case | None
    ops: list[Op] = field(default_factory=list)


def _ops(plan: CasePlan) -> list[Op]:
    """Classifications and workflow steps in time order (a classification first on a tie)."""
    ops: list[tuple[datetime, int, int, Op]] = []
    if plan.classify is not None and plan.classify_at is not None and plan.classify_by:
        ops.append((plan.classify_at, 0, 0, _Classify(plan.classify_at, plan.classify, plan.classify_by)))
    if plan.reclassify is not None and plan.reclassify_at is not None and plan.reclassify_by:
        ops.append((plan.reclassify_at, 0, 1,
                    _Classify(plan.reclassify_at, plan.reclassify, plan.reclassify_by)))
    ops += [(step.at, 1, i, step) for i, step in enumerate(plan.life)]
    ops.sort(key=lambda o: o[:3])
    return [o[3] for o in ops]


def create_cases(
    plans: list[CasePlan], users: dict[str, User], progress: Callable[[int], None] | None = None, *,
    cutoff: datetime | None = None, at_cutoff: Callable[[datetime], object] | None = None,
) -> int:
    """Create every planned case and replay its life; return how many cases were created."""
    replayer = Replayer(users)
    created = 0

    def register(plan: CasePlan) -> Case:
        nonlocal created
        actor = users[plan.actor] if plan.actor else None
        with clock_at(plan.intake_at):
            case = do_create_case(plan.data, actor=actor, idempotency_key=plan.idempotency_key).case
        created += 1
        if progress is not None:
            progress(created)
        return case

    def run(case: Case, plan: CasePlan, ops: list[Op]) -> Case:
        for op in ops:
            if isinstance(op, _Classify):
                with clock_at(op.at):
                    case = do_classify_case(case, op.classification, actor=users[op.by])
            elif case.number not in replayer.stuck:
                try:
                    case = replayer.run(case, plan.data.org_unit, op)
                except Stuck:
                    replayer.stuck.add(case.number)
        return case

    pending: list[_Pending] = []
    for plan in plans:
        ops = _ops(plan)
        if cutoff is not None and plan.intake_at > cutoff:
            pending.append(_Pending(plan, None, ops))
            continue
        now = [op for op in ops if cutoff is None or op.at <= cutoff]
        case = run(register(plan), plan, now)
        if len(now) < len(ops):
            pending.append(_Pending(plan, case, ops[len(now):]))
    if cutoff is not None and at_cutoff is not None:
        at_cutoff(cutoff)
    for item in pending:
        run(item.case or register(item.plan), item.plan, item.ops)
    return created
