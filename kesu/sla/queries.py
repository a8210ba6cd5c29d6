"""Reads of the sla app for pages, the API and the case page: clock views and the breach list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kesu.cases.access import cases_visible_to
from kesu.cases.choices import FINISHED_STATUSES
from kesu.cases.models import Case
from kesu.org.models import User
from kesu.sla.calendars import calendar_for_unit
from kesu.sla.choices import ClockCode, ClockState
from kesu.sla.models import CaseClock
from kesu.sla.worktime import Remaining, WorkCalendar

CLOCK_ORDER = {code: i for i, code in enumerate(ClockCode.values)}


@dataclass(frozen=True)
class ClockView:
    code: str
    name: str
    started_at: datetime
    due_at: datetime
    state: str
    state_label: str
    remaining_minutes: float
    remaining_text: str
    warning: bool
    breached: bool
    running: bool


def remaining_text(r: Remaining) -> str:
    """剩余 1 个工作日 3 小时 / 已超时 45 分钟: the largest two parts, in working time."""
    if r.overdue:
        if r.days:
            return _("{days} working day(s) {hours} h overdue").format(days=r.days, hours=r.hours)
        if r.hours:
            return _("{hours} h {minutes} min overdue").format(hours=r.hours, minutes=r.mins)
        return _("{minutes} min overdue").format(minutes=r.mins)
    if r.days:
        return _("{days} working day(s) {hours} h left").format(days=r.days, hours=r.hours)
    if r.hours:
        return _("{hours} h {minutes} min left").format(hours=r.hours, minutes=r.mins)
    return _("{minutes} min left").format(minutes=r.mins)


def view_of(clock: CaseClock, now: datetime, cal: WorkCalendar) -> ClockView:
    running = clock.stopped_at is None and clock.paused_at is None
    end = now if clock.stopped_at is None else clock.stopped_at
    if clock.paused_at is not None:
        end = clock.paused_at  # the time left is frozen while paused
    remaining = cal.remaining(end, clock.due_at)
    breached = clock.breached_at is not None or (clock.stopped_at is None and clock.due_at < end)
    if clock.stopped_at is not None:
        text = str(ClockState(clock.state).label)
    elif clock.paused_at is not None:
        text = _("Paused: {left}").format(left=remaining_text(remaining))
    else:
        text = remaining_text(remaining)
    return ClockView(
        code=clock.code,
        name=str(ClockCode(clock.code).label),
        started_at=clock.started_at,
        due_at=clock.due_at,
        state=clock.state,
        state_label=str(ClockState(clock.state).label),
        remaining_minutes=remaining.minutes,
        remaining_text=text,
        warning=clock.stopped_at is None
        and not breached
        and (clock.warned_at is not None or clock.warn_at <= end),
        breached=breached,
        running=running,
    )


def clock_views(case: Case, *, now: datetime) -> list[ClockView]:
    """The case's clocks for the case page and the API, in a fixed order."""
    rows = CaseClock.objects.filter(case_id=case.pk).order_by()  # sorted here: no join for the ordering
    clocks = sorted(rows, key=lambda c: CLOCK_ORDER.get(c.code, 99))
    cal = calendar_for_unit(case.org_unit_id)
    return [view_of(c, now, cal) for c in clocks]


def breach_list(user: User, *, sort: str = "due_at") -> QuerySet[CaseClock]:
    """Breached and warned clocks of the open cases ``user`` can see (supervisors' list)."""
    visible = cases_visible_to(user).exclude(status__in=FINISHED_STATUSES)
    order = "-due_at" if sort == "-due_at" else "due_at"
    return (
        CaseClock.objects.filter(stopped_at__isnull=True, case__in=visible)
        .filter(Q(breached_at__isnull=False) | Q(warned_at__isnull=False))
        .select_related("case", "case__org_unit")
        .order_by(order, "pk")
    )
