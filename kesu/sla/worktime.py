"""Working-time arithmetic over one calendar (SPEC WF-4, ADR 0004). Pure: no Django, no ORM.

A ``WorkCalendar`` is built once from a time zone, the working intervals of a day (a lunch
break is simply two intervals), the working weekdays and dated overrides (a holiday is not
worked; a make-up workday 调休 is worked with the normal hours even on a weekend). It then
answers every question with two primitives over a precomputed prefix sum:

* ``W(t)`` — working microseconds from the calendar's first day up to the instant ``t``;
* ``W⁻¹(w)`` — the *earliest* instant at which ``w`` working microseconds have elapsed.

Everything else is arithmetic on ``W``: the working time between two instants is a
difference, a deadline ``amount`` working minutes after ``start`` is ``W⁻¹(W(start) + amount)``,
a pause moves a deadline by exactly the paused working time. Because ``W⁻¹`` returns the
earliest instant, a deadline always closes a stretch of working time: it lands at the end of
a working interval (12:00, 18:00) rather than at the start of the next one (13:00, the next
morning), and never in a break, a night, a weekend or a holiday.

Definition of "N working days" (units ``days``): let ``s`` be the start, moved forward to the
next working moment if it is outside working time; ``s`` lies on working day ``D`` after ``e``
working minutes of that day. The deadline is the earliest instant at which ``e`` working
minutes of the N-th working day after ``D`` have elapsed (``e`` is capped at that day's
length). With equal hours every day this is "the same time of day, N working days later";
a start at the beginning of a day (``e = 0``) is due at the end of the (N-1)-th working day
after ``D`` — the same working instant, by the earliest-instant rule. Examples (09:00–12:00,
13:00–18:00, statutory holidays): 2 working days from Wed 2026-09-30 16:00 → Fri 2026-10-09
16:00 (1–7 October are holidays); 1 working day from Fri 2026-10-09 16:00 → Sat 2026-10-10
16:00, a make-up workday.

Speed: the prefix sums cover ``first_day`` … ``last_day`` (default 2000–2100), built lazily
on first use (~40,000 days, tens of milliseconds). Each ``W`` is a time-zone conversion and
a walk over the day's two or three intervals; each ``W⁻¹`` is one ``bisect``. Both are a few
microseconds, so 500,000 deadlines take about a second of CPU.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR

DEFAULT_FIRST_DAY = date(2000, 1, 1)
DEFAULT_LAST_DAY = date(2100, 12, 31)


class Unit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"


class DayType(StrEnum):
    HOLIDAY = "holiday"  # not worked, whatever the weekday
    WORKDAY = "workday"  # worked with the normal hours, whatever the weekday (调休)


#: An interval of a day as (start, end) microseconds after local midnight; end may be 24:00.
Span = tuple[int, int]


def parse_hhmm(value: str) -> int:
    """``"09:30"`` → microseconds after midnight; ``"24:00"`` is accepted as the end of the day."""
    hh, _, mm = value.strip().partition(":")
    h, m = int(hh), int(mm or 0)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(f"not a time of day: {value!r}")
    return (h * 60 + m) * US_PER_MINUTE


def format_hhmm(us: int) -> str:
    minutes = us // US_PER_MINUTE
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def spans_from(hours: Iterable[tuple[str | time, str | time]]) -> tuple[Span, ...]:
    """Validate and normalise working intervals: sorted, non-empty, non-overlapping."""
    spans: list[Span] = []
    for start, end in hours:
        a = parse_hhmm(start) if isinstance(start, str) else _time_us(start)
        b = parse_hhmm(end) if isinstance(end, str) else (_time_us(end) or US_PER_DAY)
        if not a < b:
            raise ValueError("a working interval must end after it starts")
        spans.append((a, b))
    spans.sort()
    for (_, b1), (a2, _) in itertools.pairwise(spans):
        if a2 < b1:
            raise ValueError("working intervals overlap")
    return tuple(spans)


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * US_PER_SECOND + t.microsecond


@dataclass(frozen=True)
class Remaining:
    """Working time left until a deadline, split for display (negative parts when overdue)."""

    minutes: float
    days: int
    hours: int
    mins: int
    overdue: bool


def split_minutes(minutes: float, day_minutes: float) -> Remaining:
    """Split working minutes into working days of ``day_minutes``, hours and minutes."""
    overdue = minutes < 0
    left = int(abs(minutes) + 0.5)
    per_day = max(int(day_minutes), 1)
    days, rest = divmod(left, per_day)
    hours, mins = divmod(rest, 60)
    return Remaining(minutes=minutes, days=days, hours=hours, mins=mins, overdue=overdue)


class WorkCalendar:
    """Working time of one org unit. Immutable after construction; safe to share and cache."""

    def __init__(
        self,
        tz: str | tzinfo = "Asia/Shanghai",
        hours: Iterable[tuple[str | time, str | time]] = (("09:00", "12:00"), ("13:00", "18:00")),
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
        overrides: Mapping[date, str] | None = None,
        *,
        weekday_hours: Mapping[int, Iterable[tuple[str | time, str | time]]] | None = None,
        first_day: date = DEFAULT_FIRST_DAY,
        last_day: date = DEFAULT_LAST_DAY,
    ) -> None:
        self.tz: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.spans = spans_from(hours)
        self.weekdays = frozenset(int(d) for d in weekdays)
        if not self.weekdays <= set(range(7)):
            raise ValueError("weekdays are 0 (Monday) … 6 (Sunday)")
        self.weekday_spans = {int(d): spans_from(h) for d, h in (weekday_hours or {}).items()}
        self.overrides = {d: DayType(t) for d, t in (overrides or {}).items()}
        self.first_day, self.last_day = first_day, last_day
        self._built = False

    # --- the precomputed timeline ---------------------------------------------------------

    def spans_on(self, day: date) -> tuple[Span, ...]:
        """The working intervals of ``day`` (empty on a day off)."""
        kind = self.overrides.get(day)
        if kind is DayType.HOLIDAY:
            return ()
        if kind is DayType.WORKDAY:
            return self.spans
        wd = day.weekday()
        if wd not in self.weekdays:
            return ()
        return self.weekday_spans.get(wd, self.spans)

    @property
    def day_minutes(self) -> float:
        """Length of a normal working day, used to show remaining time in working days."""
        return sum(b - a for a, b in self.spans) / US_PER_MINUTE

    def _build(self) -> None:
        base = self.first_day.toordinal()
        n = self.last_day.toordinal() - base + 1
        day_spans: list[tuple[Span, ...]] = []
        prefix = [0] * (n + 1)
        rank = [0] * (n + 1)
        workdays: list[int] = []
        acc = 0
        for i in range(n):
            spans = self.spans_on(date.fromordinal(base + i))
            day_spans.append(spans)
            rank[i] = len(workdays)
            if spans:
                workdays.append(i)
                acc += sum(b - a for a, b in spans)
            prefix[i + 1] = acc
        rank[n] = len(workdays)
        self._base, self._n = base, n
        self._day_spans, self._prefix, self._rank, self._workdays = day_spans, prefix, rank, workdays
        self._built = True

    def _index(self, t: datetime) -> tuple[int, int]:
        """(day index, microseconds after local midnight) of an aware instant."""
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError("working-time arithmetic needs aware datetimes")
        if not self._built:
            self._build()
        loc = t.astimezone(self.tz)
        i = loc.toordinal() - self._base
        if not 0 <= i < self._n:
            raise ValueError(f"{loc.date()} is outside the calendar's range")
        us = ((loc.hour * 60 + loc.minute) * 60 + loc.second) * US_PER_SECOND + loc.microsecond
        return i, us

    def _at(self, i: int, us: int) -> datetime:
        local = datetime.fromordinal(self._base + i) + timedelta(microseconds=us)
        return local.replace(tzinfo=self.tz)

    def w(self, t: datetime) -> int:
        """Working microseconds from the calendar's first day up to ``t``."""
        i, us = self._index(t)
        acc = self._prefix[i]
        for a, b in self._day_spans[i]:
            if us <= a:
                break
            if us < b:
                return acc + us - a
            acc += b - a
        return acc

    def at_w(self, w: int) -> datetime:
        """The earliest instant at which ``w`` (> 0) working microseconds have elapsed."""
        if not self._built:
            self._build()
        k = bisect.bisect_left(self._prefix, w)
        if k == 0 or k > self._n:
            raise ValueError("the result is outside the calendar's range")
        i = k - 1
        left = w - self._prefix[i]
        for a, b in self._day_spans[i]:
            if left <= b - a:
                return self._at(i, a + left)
            left -= b - a
        raise AssertionError("prefix sums and day spans disagree")  # pragma: no cover

    # --- public operations ----------------------------------------------------------------

    def is_working_time(self, t: datetime) -> bool:
        """True inside a working interval; intervals are half-open (12:00 and 18:00 are not)."""
        i, us = self._index(t)
        return any(a <= us < b for a, b in self._day_spans[i])

    def is_working_day(self, day: date) -> bool:
        return bool(self.spans_on(day))

    def next_working_moment(self, t: datetime) -> datetime:
        """``t`` itself inside working time, else the start of the next working interval."""
        i, us = self._index(t)
        for a, b in self._day_spans[i]:
            if us < b:
                return t if us >= a else self._at(i, a)
        r = self._rank[i + 1]
        if r >= len(self._workdays):
            raise ValueError("the result is outside the calendar's range")
        j = self._workdays[r]
        return self._at(j, self._day_spans[j][0][0])

    def add(self, start: datetime, amount: float, unit: str | Unit = Unit.MINUTES) -> datetime:
        """The deadline ``amount`` working minutes / hours / days after ``start`` (amount > 0).

        The result is aware, in the calendar's zone, and closes a stretch of working time.
        """
        if amount <= 0:
            raise ValueError("an SLA amount must be positive")
        unit = Unit(unit)
        if unit is Unit.DAYS:
            return self.at_w(self._days_target(start, int(amount)))
        per = US_PER_MINUTE if unit is Unit.MINUTES else US_PER_HOUR
        return self.at_w(self.w(start) + round(amount * per))

    def _days_target(self, start: datetime, n: int) -> int:
        if n < 1 or n != int(n):
            raise ValueError("working days are counted in whole days")
        w = self.w(start)
        d = bisect.bisect_right(self._prefix, w) - 1  # the working day of the next working moment
        if d >= self._n:
            raise ValueError("the result is outside the calendar's range")
        elapsed = w - self._prefix[d]
        r = self._rank[d] + n
        if r >= len(self._workdays):
            raise ValueError("the result is outside the calendar's range")
        dn = self._workdays[r]
        return self._prefix[dn] + min(elapsed, self._prefix[dn + 1] - self._prefix[dn])

    def extend(self, due: datetime, working_us: int) -> datetime:
        """``due`` moved later by ``working_us`` working microseconds (a pause), or unchanged."""
        if working_us <= 0:
            return due
        return self.at_w(self.w(due) + working_us)

    def working_us_between(self, a: datetime, b: datetime) -> int:
        """Working microseconds from ``a`` to ``b``; negative when ``b`` is before ``a``."""
        return self.w(b) - self.w(a)

    def working_minutes_between(self, a: datetime, b: datetime) -> float:
        return self.working_us_between(a, b) / US_PER_MINUTE

    def remaining(self, now: datetime, due: datetime) -> Remaining:
        """Working time from ``now`` to ``due``, split in days of this calendar's normal day."""
        return split_minutes(self.working_minutes_between(now, due), self.day_minutes)

    def warn_at(self, start: datetime, due: datetime, share: float) -> datetime:
        """The instant at which ``share`` (0 < share ≤ 1) of the working time start→due is used."""
        total = self.working_us_between(start, due)
        if total <= 0:
            return due
        return self.at_w(self.w(start) + max(1, round(total * share)))


def overrides_from(rows: Iterable[tuple[date, str]]) -> dict[date, str]:
    """A mapping for ``WorkCalendar(overrides=...)``; later rows win."""
    return {day: str(DayType(kind)) for day, kind in rows}


def hours_from_json(value: Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    """Stored hours (``[["09:00", "12:00"], …]``) as pairs, validated."""
    pairs = [(str(a), str(b)) for a, b in value]
    spans_from(pairs)
    return pairs
