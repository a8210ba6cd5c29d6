"""The sweep and the recomputation of deadlines: the SLA writes that touch many cases at once.

``do_sweep_clocks`` (Celery beat, every minute; ``kesu sla sweep``) finds running clocks past
their due time and past their warning time through the partial indexes and marks each one
once with a conditional update, in batches: a rerun, or a second sweep running at the same
time, changes nothing (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite serialises writers).
Each newly breached case moves one level up the escalation chain — once per sweep, however
many of its clocks ran out together — and every mark is recorded on the case as an event.

``do_recompute_deadlines`` applies a calendar change to the open cases only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from kesu.cases.bulk import insert_rows, new_instance
from kesu.cases.choices import FINISHED_STATUSES
from kesu.cases.models import Case
from kesu.org.models import OrgUnit, User
from kesu.sla.actions import deadlines, notify
from kesu.sla.bulk_events import Head, append_many, lock_heads
from kesu.sla.calendars import calendar_lookup
from kesu.sla.choices import ClockCode, SlaEvent
from kesu.sla.escalation import ResolvedLevel, next_level, warning_recipients_many
from kesu.sla.models import CaseClock, Escalation
from kesu.sla.sqlbulk import in_ids, mark_breached, update_by_id
from kesu.sla.worktime import WorkCalendar

_OPEN = Q(stopped_at__isnull=True, paused_at__isnull=True)


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0
    #: Cases escalated by this sweep: a clock of theirs found in a later batch does not escalate again.
    escalated_cases: set[int] = field(default_factory=set)
    #: Levels resolved to users per (org unit, level below), shared by the sweep's batches.
    levels: dict[tuple[int, int], ResolvedLevel | None] = field(default_factory=dict, repr=False)


#: Clocks marked per transaction. Larger batches mean fewer round trips and commits (the sweep
#: of 10,000 due clocks among 1,000,000 open ones is bound by them, ADR 0004) while a batch's
#: case rows stay locked for well under a second.
SWEEP_BATCH = 5000


def do_sweep_clocks(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> SweepResult:
    """Mark breaches (and escalate), then warnings. Idempotent; returns what this run marked."""
    now = now or timezone.now()
    result = SweepResult()
    while _sweep_batch(now, batch, result, breach=True) == batch:
        pass
    while _sweep_batch(now, batch, result, breach=False) == batch:
        pass
    return result


def _sweep_batch(now: datetime, batch: int, result: SweepResult, *, breach: bool) -> int:
    due = (
        _OPEN & Q(breached_at__isnull=True, due_at__lt=now)
        if breach
        else _OPEN & Q(warned_at__isnull=True, breached_at__isnull=True, warn_at__lte=now)
    )
    with transaction.atomic():
        _relax_durability()
        rows = list(
            CaseClock.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("due_at" if breach else "warn_at")
            .values_list("pk", "case_id", "code", "due_at", "warn_percent")[:batch]
        )
        if not rows:
            return 0
        selected = len(rows)
        # The cases next, skipping those another transaction holds: an action (or the triage
        # backfill of an import) locks its case and then updates the case's clocks, so waiting
        # here for a case while holding its clocks deadlocked. Their clocks are left to the
        # next sweep, and this sweep stops after this batch so as not to pick them again.
        heads = lock_heads({r[1] for r in rows}, skip_locked=True)
        rows = [r for r in rows if r[1] in heads]
        if not rows:
            return 0
        ids = [r[0] for r in rows]
        if breach:
            result.breached += len(rows)
            result.escalated += _record_breaches(rows, now, result, heads)
        else:
            CaseClock.objects.filter(pk__in=ids, warned_at__isnull=True).update(
                warned_at=now, notify_pending=True
            )
            result.warned += len(rows)
            _record_warnings(rows, now, heads)
    return len(rows) if len(rows) == selected else 0


Row = tuple[int, int, str, datetime, int]


def _relax_durability() -> None:
    """PostgreSQL: do not wait for the WAL flush when this transaction commits.

    A sweep batch is all-or-nothing either way (asynchronous commit keeps atomicity and order);
    what a crash in the next fraction of a second could lose is only the durability of the last
    batches, and the next sweep finds those clocks still unmarked and marks them again. Waiting
    for the flush was a fifth of a sweep's time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")


def _clock_context(code: str, due_at: datetime, **extra: Any) -> dict[str, Any]:
    return {"clock": str(ClockCode(code).label), "clock_code": code, "due_at": due_at, **extra}


def _record_warnings(rows: list[Row], now: datetime, heads: dict[int, Head]) -> None:
    append_many(
        [(r[1], SlaEvent.WARNING, {"new": {"clock": r[2], "due_at": r[3].isoformat()}}) for r in rows],
        at=now,
        heads=heads,
    )


def _record_breaches(rows: list[Row], now: datetime, result: SweepResult, heads: dict[int, Head]) -> int:
    """Mark the clocks breached, write an event for each and one escalation per case.
    Returns cases escalated.

    The clocks' marks and their escalation levels go in one UPDATE, after the escalations are
    decided; ``heads``: the cases locked, with their event heads and org units (one query).
    """
    by_case: dict[int, list[Row]] = defaultdict(list)
    for r in rows:
        by_case[r[1]].append(r)
    levels = _escalation_levels(list(by_case))
    resolve = _level_resolver(result.levels)
    seen = result.escalated_cases
    items: list[tuple[int, str, dict[str, Any]]] = []
    escalations: list[tuple[Escalation, list[User]]] = []
    clock_level: dict[int, int | None] = {}
    for case_id, clock_rows in by_case.items():
        codes = [r[2] for r in clock_rows]
        items += [
            (case_id, SlaEvent.BREACHED, {"new": {"clock": r[2], "due_at": r[3].isoformat()}})
            for r in clock_rows
        ]
        previous = levels.get(case_id) or 0
        nxt = None if case_id in seen else resolve(heads[case_id].org_unit_id, previous)
        if nxt is None:
            for r in clock_rows:
                clock_level[r[0]] = previous or None
            continue
        seen.add(case_id)
        for r in clock_rows:
            clock_level[r[0]] = nxt.level
        reason = "sla:" + ",".join(codes)
        escalations.append(
            (
                new_instance(
                    Escalation,
                    case_id=case_id,
                    level=nxt.level,
                    level_name=nxt.name,
                    reason=reason,
                    clock=",".join(codes)[:60],
                    at=now,
                    notify_pending=True,
                ),
                nxt.users,
            )
        )
        items.append(
            (
                case_id,
                SlaEvent.ESCALATED,
                {
                    "new": {
                        "level": nxt.level,
                        "level_name": nxt.name,
                        "targets": [u.username for u in nxt.users],
                        "reason": reason,
                        "clocks": codes,
                        "previous_level": previous,
                    }
                },
            )
        )
    mark_breached(clock_level, now)
    append_many(items, at=now, heads=heads)
    _save_escalations(escalations)
    return len(escalations)


def _escalation_levels(case_ids: list[int]) -> dict[int, int]:
    """The highest escalation level each of the cases reached so far (absent: none)."""
    where, params = in_ids("case_id", case_ids)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT case_id, MAX(level) FROM {Escalation._meta.db_table} WHERE {where} GROUP BY case_id",  # noqa: S608
            params,
        )
        return dict(cur.fetchall())


def _save_escalations(escalations: list[tuple[Escalation, list[User]]]) -> None:
    if not escalations:
        return
    # COPY on PostgreSQL, multi-row INSERT on SQLite, without bulk_create's per-value compilation.
    created = [e for e, _ in escalations]
    insert_rows(created)
    through = Escalation.targets.through
    insert_rows(
        [
            new_instance(through, escalation_id=e.pk, user_id=u.pk)
            for e, (_, users) in zip(created, escalations, strict=True)
            for u in users
        ],
        returning=False,
    )


# --- notifications of the marks -----------------------------------------------------------


def do_send_sla_notifications(*, batch: int = 200) -> int:
    """Write the outbox rows for the sweep's marks: sla.warning / sla.breached to the people on
    the case, case.escalated to the level reached. Each mark is notified once (``notify_pending``).

    Separate from the marking so that a slow notification step never delays the marks of a
    large backlog; the sweep task runs both. Returns the number of notifications written.
    """
    sent = 0
    while True:
        with transaction.atomic():
            clocks = list(
                CaseClock.objects.select_for_update(skip_locked=True)
                .filter(notify_pending=True)
                .order_by("pk")[:batch]
            )
            escalations = list(
                Escalation.objects.select_for_update(skip_locked=True)
                .filter(notify_pending=True)
                .order_by("pk")[:batch]
            )
            if not clocks and not escalations:
                return sent
            case_ids = {c.case_id for c in clocks} | {e.case_id for e in escalations}
            cases = Case.objects.select_related("intake_by").in_bulk(case_ids)
            people = warning_recipients_many([cases[c.case_id] for c in clocks])
            for c in clocks:
                event = SlaEvent.BREACHED if c.breached_at else SlaEvent.WARNING
                notify(
                    event,
                    case=cases[c.case_id],
                    recipients=people.get(c.case_id, []),
                    context=_clock_context(c.code, c.due_at, percent=c.warn_percent),
                )
            targets: dict[int, list[User]] = defaultdict(list)
            through = Escalation.targets.through
            for esc_id, user in (
                (t.escalation_id, t.user)
                for t in through.objects.filter(escalation__in=escalations).select_related("user")
            ):
                targets[esc_id].append(user)
            for e in escalations:
                notify(
                    SlaEvent.ESCALATED,
                    case=cases[e.case_id],
                    recipients=targets[e.pk],
                    context={"level": e.level_name, "level_number": e.level, "reason": e.reason},
                )
            CaseClock.objects.filter(pk__in=[c.pk for c in clocks]).update(notify_pending=False)
            Escalation.objects.filter(pk__in=[e.pk for e in escalations]).update(notify_pending=False)
            sent += len(clocks) + len(escalations)


def _level_resolver(
    memo: dict[tuple[int, int], ResolvedLevel | None],
) -> Callable[[int, int], ResolvedLevel | None]:
    """``next_level`` memoised per (org unit, level) for one sweep: most cases share a few."""

    def resolve(unit_id: int, above: int) -> ResolvedLevel | None:
        key = (unit_id, above)
        if key not in memo:
            memo[key] = next_level(unit_id, above)
        return memo[key]

    return resolve


# --- calendar changes --------------------------------------------------------------------


def do_recompute_deadlines(
    *, unit: OrgUnit | None = None, batch: int = 5000, progress: Callable[[int], None] | None = None
) -> int:
    """Recompute due and warning times of the open clocks of open cases under ``unit``.

    ``unit`` None means every unit. Clocks of finished cases keep their deadlines, as do
    stopped clocks. Marks already made (warned, breached) stay: history is not rewritten.
    Returns the number of clocks recomputed.
    """
    clocks = CaseClock.objects.filter(stopped_at__isnull=True).exclude(case__status__in=FINISHED_STATUSES)
    if unit is not None:
        ids = list(OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))
        clocks = clocks.filter(case__org_unit_id__in=ids)
    fields = (
        "pk",
        "case__org_unit_id",
        "code",
        "started_at",
        "due_at",
        "amount",
        "unit",
        "paused_us",
        "warn_percent",
    )
    done, last = 0, 0
    while True:
        rows = list(clocks.filter(pk__gt=last).order_by("pk").values_list(*fields)[:batch])
        if not rows:
            return done
        lookup = calendar_lookup()
        updates = [_recomputed(row, lookup) for row in rows]
        with transaction.atomic():
            _write_deadlines(updates)
        done += len(rows)
        last = rows[-1][0]
        if progress:
            progress(done)


def _recomputed(
    row: tuple[Any, ...], lookup: Callable[[int], WorkCalendar]
) -> tuple[int, datetime, datetime]:
    pk, unit_id, code, started, due, amount, unit, paused_us, percent = row
    cal = lookup(unit_id)
    if code == ClockCode.PROMISE or amount is None:
        return pk, due, cal.warn_at(started, due, percent / 100)
    new_due, warn = deadlines(cal, started, amount, unit, paused_us, percent)
    return pk, new_due, warn


def _write_deadlines(updates: list[tuple[int, datetime, datetime]]) -> None:
    update_by_id(CaseClock._meta.db_table, [("due_at", "timestamptz"), ("warn_at", "timestamptz")], updates)
