"""The reply time promised on the customer's receipt (IN-6).

A deliberately small stand-in for the SLA policies of a later issue: the promise is the end
of working hours (18:00 China time) of the Nth working day after the day of receipt, with
N = ``settings.PORTAL_REPLY_WORKING_DAYS``. The time of day of receipt does not matter: a case
received on Wednesday at 08:00 or at 23:00 is promised for Thursday 18:00 (N = 1).

Working days come from ``chinese_calendar`` (statutory holidays and 调休 make-up workdays);
for a year the package has no data for, Monday to Friday are working days. No ORM: the SLA
issue replaces this with admin-edited calendars and stores the deadline on the case.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings

REPLY_ZONE = ZoneInfo("Asia/Shanghai")
END_OF_WORKING_DAY = time(18, 0)


def is_working_day(day: date) -> bool:
    """True on a Chinese working day, including make-up workdays that fall on a weekend."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # the package only knows the years it was released for
        return day.weekday() < 5


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself is never counted)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def promised_reply_at(received_at: datetime, working_days: int | None = None) -> datetime:
    """18:00 Asia/Shanghai on the Nth working day after the local day of ``received_at``.

    ``received_at`` must be aware. ``working_days`` defaults to the setting and must be >= 1.
    The result is aware, in Asia/Shanghai.
    """
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be an aware datetime")
    n = settings.PORTAL_REPLY_WORKING_DAYS if working_days is None else working_days
    if n < 1:
        raise ValueError("the promise needs at least one working day")
    due_day = add_working_days(received_at.astimezone(REPLY_ZONE).date(), n)
    return datetime.combine(due_day, END_OF_WORKING_DAY, tzinfo=REPLY_ZONE)
