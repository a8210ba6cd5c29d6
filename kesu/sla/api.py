"""``/api/v1/sla``: parse → access → one read → schema out. Breaches, calendars, a case's clocks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from kesu.cases.access import access_case
from kesu.core.errors import NotFound
from kesu.org.models import User
from kesu.org.scope import units_visible_to
from kesu.sla import calendars
from kesu.sla.choices import DayType
from kesu.sla.queries import breach_list, clock_views

router = Router(tags=["sla"])
PAGE_SIZE = 50


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class BreachOut(Schema):
    case: str
    case_title: str
    org_unit: str
    clock: str
    clock_name: str
    state: str
    due_at: datetime
    warned_at: datetime | None
    breached_at: datetime | None
    escalation_level: int


class BreachListOut(Schema):
    items: list[BreachOut]
    count: int


class BreachParams(Schema):
    sort: str = "due_at"
    page: int = 1


class ClockOut(Schema):
    code: str
    name: str
    state: str
    started_at: datetime
    due_at: datetime
    remaining_working_minutes: float
    remaining: str
    warning: bool
    breached: bool


class DayOut(Schema):
    date: date
    type: str
    type_name: str
    name: str


class CalendarOut(Schema):
    unit: str
    timezone: str
    calendar_unit: str | None
    hours: list[list[str]]
    weekdays: list[int]
    years_with_data: list[int]


class CalendarYearOut(CalendarOut):
    year: int
    has_data: bool
    days: list[DayOut]


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@router.get(
    "/breaches",
    response={200: BreachListOut, **ERRORS},
    summary="Breached and warned clocks of the open cases you can see",
)
def breaches(request: HttpRequest, params: Query[BreachParams]) -> dict[str, Any]:
    qs = breach_list(_user(request), sort=params.sort)
    page = max(params.page, 1)
    items = [
        {
            "case": c.case.number,
            "case_title": c.case.title,
            "org_unit": c.case.org_unit.code,
            "clock": c.code,
            "clock_name": c.get_code_display(),
            "state": c.state,
            "due_at": c.due_at,
            "warned_at": c.warned_at,
            "breached_at": c.breached_at,
            "escalation_level": c.escalation_level,
        }
        for c in qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ]
    return {"items": items, "count": qs.count()}


@router.get("/cases/{number}/clocks", response={200: list[ClockOut], **ERRORS}, summary="A case's SLA clocks")
def case_clocks(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    case = access_case(_user(request), number)
    return [
        {
            "code": v.code,
            "name": v.name,
            "state": v.state,
            "started_at": v.started_at,
            "due_at": v.due_at,
            "remaining_working_minutes": v.remaining_minutes,
            "remaining": v.remaining_text,
            "warning": v.warning,
            "breached": v.breached,
        }
        for v in clock_views(case, now=timezone.now())
    ]


@router.get(
    "/calendars",
    response={200: list[CalendarOut], **ERRORS},
    summary="The working calendar of each org unit you can see",
)
def calendar_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [calendars.describe(u.pk) for u in units_visible_to(_user(request)).order_by("path")]


@router.get(
    "/calendars/{unit}",
    response={200: CalendarYearOut, **ERRORS},
    summary="A unit's working calendar with the holidays and make-up workdays of a year",
)
def calendar_year(request: HttpRequest, unit: str, year: int | None = None) -> dict[str, Any]:
    found = units_visible_to(_user(request)).filter(code=unit).first()
    if found is None:
        raise NotFound(_("No org unit with this code was found."))
    year = year or timezone.localdate().year
    kinds, names = calendars.effective_days(found.pk)
    info = calendars.describe(found.pk)
    days = [
        {"date": d, "type": kinds[d], "type_name": str(DayType(kinds[d]).label), "name": names.get(d, "")}
        for d in sorted(kinds)
        if d.year == year
    ]
    return {**info, "year": year, "has_data": year in info["years_with_data"], "days": days}
