"""When demo cases arrive: weekdays heavier than weekends, statutory holidays quiet, peaks
after 双十一 and around 春节, more dairy trouble in summer, working hours heavier.

Days are drawn by stratified sampling over the window's weights, so any number of cases
spans the whole window in proportion (60 cases still touch every month or nearly so).
"""

from __future__ import annotations

import bisect
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

TZ = ZoneInfo("Asia/Shanghai")

SPRING_FESTIVAL = {2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
                   2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13)}
DRAGON_BOAT = {2024: date(2024, 6, 10), 2025: date(2025, 5, 31), 2026: date(2026, 6, 19),
               2027: date(2027, 6, 9), 2028: date(2028, 5, 28), 2029: date(2029, 6, 16)}
MID_AUTUMN = {2024: date(2024, 9, 17), 2025: date(2025, 10, 6), 2026: date(2026, 9, 25),
              2027: date(2027, 9, 15), 2028: date(2028, 10, 3), 2029: date(2029, 9, 22)}


def _offset(day: date, table: dict[int, date]) -> int | None:
    """Days from the nearest festival in ``table`` (negative before it)."""
    best = None
    for year in (day.year - 1, day.year, day.year + 1):
        if year in table:
            delta = (day - table[year]).days
            if best is None or abs(delta) < abs(best):
                best = delta
    return best


def seasons(day: date) -> set[str]:
    """The season flags that change which topics and products are likely on ``day``."""
    flags: set[str] = set()
    if (day.month == 11 and day.day >= 11) or (day.month == 12 and day.day <= 3):
        flags.add("double11")
    if day.month == 6 and 18 <= day.day <= 28:
        flags.add("618")
    sf = _offset(day, SPRING_FESTIVAL)
    if sf is not None and -30 <= sf <= 18:
        flags.add("spring")
    db = _offset(day, DRAGON_BOAT)
    if db is not None and -30 <= db <= 5:
        flags.add("dragon_boat")
    ma = _offset(day, MID_AUTUMN)
    if ma is not None and -35 <= ma <= 7:
        flags.add("mid_autumn")
    if day.month in (6, 7, 8):
        flags.add("summer")
    return flags


def _is_workday(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # the calendar package does not know this year yet
        return day.weekday() < 5


def day_weight(day: date) -> float:
    weight = 1.0 if _is_workday(day) else (0.55 if day.weekday() >= 5 else 0.45)
    if day.month == 11 and 12 <= day.day <= 18:
        weight *= 2.6
    elif (day.month == 11 and day.day >= 19) or (day.month == 12 and day.day <= 3):
        weight *= 1.7
    elif day.month == 11 and day.day == 11:
        weight *= 1.4
    sf = _offset(day, SPRING_FESTIVAL)
    if sf is not None:
        if -25 <= sf <= -8:
            weight *= 1.5  # 年货 orders and gift boxes
        elif 8 <= sf <= 16:
            weight *= 1.9  # couriers resume, the backlog arrives
    if "618" in seasons(day):
        weight *= 1.35
    ma = _offset(day, MID_AUTUMN)
    if ma is not None and -14 <= ma <= 3:
        weight *= 1.3
    if day.month in (7, 8):
        weight *= 1.1
    return weight


def window(until: date, now: datetime) -> tuple[datetime, datetime]:
    """Twelve months ending at the end of ``until`` (China time), never after ``now``."""
    start = datetime.combine(until - timedelta(days=364), time.min, TZ)
    latest = (now.astimezone(TZ) - timedelta(minutes=10)).replace(second=0, microsecond=0)
    return start, min(datetime.combine(until, time(23, 59, 59), TZ), latest)


def sample_days(rng: random.Random, n: int, start: datetime, end: datetime) -> list[date]:
    """``n`` days in [start, end], sorted, drawn in proportion to ``day_weight``."""
    days: list[date] = []
    d = start.date()
    while d <= end.date():
        days.append(d)
        d += timedelta(days=1)
    total, cumulative = 0.0, []
    for i, d in enumerate(days):
        total += day_weight(d) * (1 + 0.25 * i / len(days))  # the business grows a little
        cumulative.append(total)
    out = []
    for i in range(n):
        u = (i + rng.random()) / n * total
        out.append(days[min(bisect.bisect_left(cumulative, u), len(days) - 1)])
    return out


# Hour weights 0–23 by how people reach the company.
_OFFICE = [0, 0, 0, 0, 0, 0, 0, 0.2, 1.2, 3, 3.4, 3, 1.2, 2.2, 3, 3, 2.6, 1.6, 0.4, 0.1, 0, 0, 0, 0]
_STORE = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.4, 1.5, 2.2, 2, 1.6, 1.8, 2.2, 2.1, 1.8, 1.9, 2.3, 2, 1.2, 0.3, 0]
_ONLINE = [0.5, 0.3, 0.15, 0.1, 0.1, 0.1, 0.3, 0.7, 1.2, 1.8, 2.2, 2.2, 1.9, 1.8, 1.9, 1.9, 1.8, 1.6,
           1.6, 2.0, 2.6, 2.8, 2.3, 1.2]
HOURS = {"office": _OFFICE, "store": _STORE, "online": _ONLINE}
CHANNEL_HOURS = {
    "phone": "office", "fax": "office", "letter": "office", "dingtalk": "office", "internal": "office",
    "third_party": "office", "walk_in": "store", "email": "online", "portal": "online", "api": "online",
    "ecommerce": "online", "wechat": "online", "social_media": "online", "survey": "online",
}


def moment(rng: random.Random, day: date, channel: str, end: datetime) -> datetime:
    """A time of day on ``day`` that suits ``channel``; never after ``end``."""
    hours = HOURS[CHANNEL_HOURS.get(channel, "online")]
    (hour,) = rng.choices(range(24), weights=hours)
    at = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), TZ)
    if at > end:
        at = end - timedelta(minutes=rng.randint(5, 90))
    return at
