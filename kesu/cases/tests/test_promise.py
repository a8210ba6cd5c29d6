"""The promised reply time on the receipt (IN-6), against chinese_calendar's real 2026 data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kesu.cases.promise import add_working_days, is_working_day, promised_reply_at

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def test_the_calendar_data_these_tests_rely_on():
    # National Day 2026: 10-01 … 10-07 off, Saturday 10-10 and Sunday 09-20 are make-up days,
    # Mid-autumn Friday 09-25 off.
    assert [is_working_day(date(2026, 10, d)) for d in range(1, 11)] == [
        False, False, False, False, False, False, False, True, True, True,
    ]
    assert is_working_day(date(2026, 9, 20)) is True
    assert is_working_day(date(2026, 9, 25)) is False


@pytest.mark.parametrize(("received", "promised"), [
    (at(2026, 9, 30, 16), at(2026, 10, 8, 18)),  # Wednesday before National Day
    (at(2026, 9, 11, 17), at(2026, 9, 14, 18)),  # an ordinary Friday → Monday
    (at(2026, 10, 9, 9), at(2026, 10, 10, 18)),  # Friday → make-up Saturday
    (at(2026, 9, 18, 12), at(2026, 9, 20, 18)),  # Friday → make-up Sunday
    (at(2026, 9, 24, 8), at(2026, 9, 28, 18)),  # Thursday before the Mid-autumn Friday
    (at(2026, 10, 3, 11), at(2026, 10, 8, 18)),  # received on a holiday
    (at(2026, 9, 30, 23, 59), at(2026, 10, 8, 18)),  # the time of day does not matter
])
def test_one_working_day(received, promised):
    assert promised_reply_at(received, 1) == promised


def test_the_day_of_receipt_is_taken_in_china_time():
    late_tuesday = datetime(2026, 9, 29, 15, 30, tzinfo=UTC)  # 23:30 Tuesday in Shanghai
    early_wednesday = datetime(2026, 9, 29, 16, 30, tzinfo=UTC)  # 00:30 Wednesday
    assert promised_reply_at(late_tuesday, 1) == at(2026, 9, 30, 18)
    assert promised_reply_at(early_wednesday, 1) == at(2026, 10, 8, 18)
    assert promised_reply_at(early_wednesday, 1).tzinfo == SH


def test_several_working_days_and_the_setting(settings):
    assert promised_reply_at(at(2026, 9, 30), 3) == at(2026, 10, 10, 18)
    settings.PORTAL_REPLY_WORKING_DAYS = 2
    assert promised_reply_at(at(2026, 9, 30)) == at(2026, 10, 9, 18)


def test_unknown_years_fall_back_to_monday_to_friday():
    friday = date(2090, 6, 16)
    assert friday.weekday() == 4
    assert (is_working_day(friday), is_working_day(date(2090, 6, 17))) == (True, False)
    assert promised_reply_at(at(2090, 6, 16), 1) == at(2090, 6, 19, 18)


def test_naive_time_and_zero_days_are_refused():
    with pytest.raises(ValueError):
        promised_reply_at(datetime(2026, 9, 30, 16))
    with pytest.raises(ValueError):
        promised_reply_at(at(2026, 9, 30), 0)


@given(
    received=st.datetimes(min_value=datetime(2004, 1, 1), max_value=datetime(2040, 12, 31),
                          timezones=st.just(UTC)),
    n=st.integers(min_value=1, max_value=10),
)
def test_promise_is_the_nth_working_day_after_receipt_at_18(received, n):
    promised = promised_reply_at(received, n)
    local_day = received.astimezone(SH).date()
    assert promised > received
    assert (promised.tzinfo, promised.hour, promised.minute) == (SH, 18, 0)
    assert is_working_day(promised.date())
    days = [local_day + timedelta(days=i) for i in range(1, (promised.date() - local_day).days + 1)]
    assert sum(is_working_day(d) for d in days) == n
    assert add_working_days(local_day, n) == promised.date()
