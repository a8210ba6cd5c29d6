"""China's statutory holidays and make-up workdays (调休) from the ``chinese_calendar`` package.

Pure: no ORM. The package ships the State Council schedules up to the year it was released
for; later years are added by administrators (console form or ``kesu calendar import``).
Names are stored in Chinese, as the State Council publishes them.
"""

from __future__ import annotations

from datetime import date

import chinese_calendar

from kesu.sla.worktime import DayType

#: chinese_calendar's English holiday names → the official Chinese names.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def known_years() -> range:
    """The years ``chinese_calendar`` has a State Council schedule for."""
    days = list(chinese_calendar.holidays) + list(chinese_calendar.workdays)
    return range(min(days).year, max(days).year + 1)


def statutory_days(years: range | None = None) -> list[tuple[date, str, str]]:
    """``(day, holiday|workday, 中文名)`` for every override in ``years`` (default: all known).

    A holiday on a weekend is listed too (it is a day off either way, and the name helps the
    year view); a make-up workday is always on a weekend.
    """
    years = years or known_years()
    rows: list[tuple[date, str, str]] = []
    for table, kind in (
        (chinese_calendar.holidays, DayType.HOLIDAY),
        (chinese_calendar.workdays, DayType.WORKDAY),
    ):
        for day, name in table.items():
            if day.year in years:
                english = getattr(name, "value", name)
                rows.append((day, str(kind), HOLIDAY_NAMES_ZH.get(str(english), str(english))))
    rows.sort()
    return rows
