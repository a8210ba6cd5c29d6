"""Properties of the working-time arithmetic (kesu/sla/worktime.py), with hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kesu.sla.statutory import statutory_days
from kesu.sla.worktime import US_PER_MINUTE, Unit, WorkCalendar, split_minutes

SH = ZoneInfo("Asia/Shanghai")
CN = WorkCalendar(
    "Asia/Shanghai",
    [("09:00", "12:00"), ("13:00", "18:00")],
    range(5),
    {day: kind for day, kind, _name in statutory_days()},
)
# A second shape: a Saturday morning, a different zone, a holiday and a make-up Sunday.
ODD = WorkCalendar(
    "Europe/Berlin",
    [("08:30", "12:00"), ("12:30", "17:15")],
    range(6),
    {date(2026, 3, 4): "holiday", date(2026, 3, 8): "workday"},
    weekday_hours={5: [("09:00", "13:00")]},
)

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
calendars = st.sampled_from([CN, ODD])
minutes = st.integers(min_value=1, max_value=60 * 24 * 40)


def at(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=SH)


def test_two_working_days_over_national_day() -> None:
    assert CN.add(at("2026-09-30T16:00"), 2, Unit.DAYS) == at("2026-10-09T16:00")


def test_one_working_day_lands_on_the_make_up_saturday() -> None:
    assert CN.add(at("2026-10-09T16:00"), 1, Unit.DAYS) == at("2026-10-10T16:00")


def test_make_up_saturday_counts_and_holiday_does_not() -> None:
    assert CN.is_working_time(at("2026-10-10T10:00"))  # Saturday, 调休
    assert not CN.is_working_time(at("2026-10-08T12:30"))  # lunch
    assert not CN.is_working_time(at("2026-10-05T10:00"))  # Monday in the National Day holiday
    assert CN.working_minutes_between(at("2026-10-09T17:00"), at("2026-10-12T10:00")) == 60 + 480 + 60
    assert CN.working_minutes_between(at("2026-09-30T17:00"), at("2026-10-08T10:00")) == 60 + 60


def test_start_outside_working_time_counts_from_the_next_working_moment() -> None:
    assert CN.add(at("2026-10-08T07:00"), 30) == at("2026-10-08T09:30")
    assert CN.add(at("2026-10-08T12:10"), 30) == at("2026-10-08T13:30")
    assert CN.next_working_moment(at("2026-09-30T19:00")) == at("2026-10-08T09:00")


def test_deadline_closes_a_working_interval_instead_of_opening_the_next() -> None:
    assert CN.add(at("2026-10-08T11:00"), 60) == at("2026-10-08T12:00")
    assert CN.add(at("2026-10-08T09:00"), 1, Unit.DAYS) == at("2026-10-08T18:00")
    assert CN.add(at("2026-10-08T13:00"), 1, Unit.DAYS) == at("2026-10-09T12:00")
    assert CN.add(at("2026-10-08T17:00"), 1, Unit.HOURS) == at("2026-10-08T18:00")


def test_hours_are_sixty_working_minutes() -> None:
    assert CN.add(at("2026-10-09T16:00"), 4, Unit.HOURS) == at("2026-10-10T11:00")


def test_amount_must_be_positive_and_datetimes_aware() -> None:
    with pytest.raises(ValueError):
        CN.add(at("2026-10-09T16:00"), 0)
    with pytest.raises(ValueError):
        CN.w(datetime(2026, 10, 9, 16))


def test_remaining_is_split_into_working_days_hours_and_minutes() -> None:
    r = CN.remaining(at("2026-10-09T14:00"), at("2026-10-12T17:30"))
    assert r.minutes == 240 + 480 + 450  # Fri 14–18, Sat 9–18 (调休), Mon 9–17:30
    assert (r.days, r.hours, r.mins, r.overdue) == (2, 3, 30, False)
    late = CN.remaining(at("2026-10-12T10:00"), at("2026-10-12T09:15"))
    assert late.overdue and (late.days, late.hours, late.mins) == (0, 0, 45)
    assert split_minutes(480 * 2 + 61, 480) == split_minutes(1021, 480)


def test_warning_time_is_a_share_of_the_working_time() -> None:
    start, due = at("2026-10-08T09:00"), at("2026-10-09T18:00")  # 16 working hours
    assert CN.warn_at(start, due, 0.75) == at("2026-10-09T14:00")  # 8 h + 3 h + 1 h


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=instants, m=minutes)
def test_minutes_between_start_and_deadline_equal_the_amount(
    cal: WorkCalendar, start: datetime, m: int
) -> None:
    assert cal.working_minutes_between(start, cal.add(start, m)) == m


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=instants, m=minutes)
def test_deadline_is_never_outside_working_time(cal: WorkCalendar, start: datetime, m: int) -> None:
    due = cal.add(start, m)
    assert due > start
    assert cal.is_working_time(due - timedelta(microseconds=1))  # the instant before is worked
    assert cal.working_us_between(due, due + timedelta(seconds=1)) <= 1_000_000


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=instants, days=st.integers(1, 30), unit=st.sampled_from(list(Unit)))
def test_days_and_hours_deadlines_are_inside_working_time(
    cal: WorkCalendar, start: datetime, days: int, unit: Unit
) -> None:
    due = cal.add(start, days, unit)
    assert due > start and cal.is_working_time(due - timedelta(microseconds=1))


@settings(max_examples=300, deadline=None)
@given(cal=calendars, a=instants, b=instants, m=minutes, unit=st.sampled_from(list(Unit)))
def test_monotonic_in_start(cal: WorkCalendar, a: datetime, b: datetime, m: int, unit: Unit) -> None:
    amount = m if unit is Unit.MINUTES else 1 + m % 20
    a, b = min(a, b), max(a, b)
    assert cal.add(a, amount, unit) <= cal.add(b, amount, unit)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=instants, m=minutes, extra=minutes, unit=st.sampled_from(list(Unit)))
def test_monotonic_in_amount(cal: WorkCalendar, start: datetime, m: int, extra: int, unit: Unit) -> None:
    if unit is not Unit.MINUTES:
        m, extra = 1 + m % 20, 1 + extra % 20
    assert cal.add(start, m, unit) < cal.add(start, m + extra, unit)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=instants, m=minutes, pause_from=minutes, pause_len=minutes)
def test_pause_adds_exactly_the_paused_working_time(
    cal: WorkCalendar, start: datetime, m: int, pause_from: int, pause_len: int
) -> None:
    due = cal.add(start, m)
    p0 = start + timedelta(minutes=pause_from % m)
    p1 = p0 + timedelta(minutes=pause_len)
    paused = cal.working_us_between(p0, p1)
    moved = cal.extend(due, paused)
    assert cal.working_us_between(due, moved) == paused
    # Working time counted outside the pause is exactly the target.
    counted = cal.working_us_between(start, moved) - paused
    assert counted == m * US_PER_MINUTE


@settings(max_examples=200, deadline=None)
@given(start=instants, n=st.integers(1, 15))
def test_n_working_days_keep_the_time_of_day_on_a_working_day(start: datetime, n: int) -> None:
    due = CN.add(start, n, Unit.DAYS)
    first = CN.next_working_moment(start)
    local_first, local_due = first.astimezone(SH), due.astimezone(SH)
    if local_first.time() != datetime.min.time().replace(hour=9):
        assert local_due.time() == local_first.time() or local_first.hour in (12, 13)
    assert CN.is_working_day(local_due.date())
    days = {
        local_first.date() + timedelta(days=k)
        for k in range(1, (local_due.date() - local_first.date()).days + 1)
    }
    worked = sorted(d for d in days if CN.is_working_day(d))
    # The due day is the n-th working day after the start's day (or its eve, for 09:00 starts).
    assert len(worked) in (n, n - 1)


def test_calendar_without_overrides_works_monday_to_friday() -> None:
    plain = WorkCalendar("Asia/Shanghai")
    assert plain.add(at("2027-10-01T16:00"), 1, Unit.DAYS) == at("2027-10-04T16:00")  # Fri → Mon
