"""Calendars as data: defaults, inheritance, admin changes, import, recompute of open cases only."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from kesu.cases.actions import Classification
from kesu.cases.models import Case
from kesu.core.errors import Forbidden, ValidationFailed
from kesu.core.models import AuditEvent
from kesu.org.models import OrgUnit, User
from kesu.sla import calendars
from kesu.sla.actions import sync_case_clocks
from kesu.sla.actions_admin import (
    CalendarInput,
    DayInput,
    PolicyInput,
    TargetInput,
    do_save_calendar,
    do_save_policy,
    do_set_calendar_days,
    parse_days_file,
)
from kesu.sla.defaults import install_sla_defaults
from kesu.sla.models import Calendar, CalendarDay, CaseClock, EscalationLevel, SlaPolicy
from kesu.sla.worktime import Unit

SH = ZoneInfo("Asia/Shanghai")


def at(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=SH)


@pytest.fixture
def sla(org: dict[str, OrgUnit]) -> dict[str, OrgUnit]:
    install_sla_defaults()
    return org


def test_defaults_are_installed_once(sla: dict[str, OrgUnit]) -> None:
    cal = Calendar.objects.get(org_unit=sla["HQ"])
    assert cal.hours == [["09:00", "12:00"], ["13:00", "18:00"]] and cal.weekdays == [0, 1, 2, 3, 4]
    national = CalendarDay.objects.get(calendar=cal, day=date(2026, 10, 1))
    assert (national.type, national.name, national.source) == ("holiday", "国庆节", "statutory")
    assert CalendarDay.objects.get(calendar=cal, day=date(2026, 10, 10)).type == "workday"
    counts = (CalendarDay.objects.count(), SlaPolicy.objects.count(), EscalationLevel.objects.count())
    again = install_sla_defaults()
    assert (again.days_added, again.policies_added, again.levels_added) == (0, 0, 0)
    assert (CalendarDay.objects.count(), SlaPolicy.objects.count(), EscalationLevel.objects.count()) == counts


def test_units_inherit_the_head_office_calendar_and_their_own_zone(sla: dict[str, OrgUnit]) -> None:
    OrgUnit.objects.filter(pk=sla["S-S1"].pk).update(timezone="Asia/Urumqi")
    calendars.bump_generation()
    store = calendars.calendar_for_unit(sla["S-E1"].pk)
    assert store.add(at("2026-09-30T16:00"), 2, Unit.DAYS) == at("2026-10-09T16:00")
    far = calendars.calendar_for_unit(sla["S-S1"].pk)
    assert str(far.tz) == "Asia/Urumqi" and far.is_working_day(date(2026, 10, 10))
    assert calendars.describe(sla["S-E1"].pk)["calendar_unit"] == "HQ"


def test_own_calendar_keeps_inherited_holidays_and_adds_its_own(
    sla: dict[str, OrgUnit], make_user: Any
) -> None:
    admin = make_user("admin")
    own = do_save_calendar(
        sla["EAST"],
        CalendarInput("华东日历", [["08:00", "17:00"]], [0, 1, 2, 3, 4, 5]),
        actor=admin,
        recompute="no",
    )
    do_set_calendar_days(own, [DayInput(date(2026, 11, 2), "holiday", "厂庆")], actor=admin, recompute="no")
    cal = calendars.calendar_for_unit(sla["S-E1"].pk)
    assert cal.is_working_day(date(2026, 10, 17))  # a Saturday: EAST works Saturdays
    assert not cal.is_working_day(date(2026, 10, 1))  # 国庆节 from head office
    assert not cal.is_working_day(date(2026, 11, 2))  # its own holiday
    assert calendars.calendar_for_unit(sla["S-S1"].pk).is_working_day(date(2026, 11, 2))
    assert AuditEvent.objects.filter(type="sla.calendar_days_set").count() == 1


def test_only_administrators_change_calendars(sla: dict[str, OrgUnit], make_user: Any) -> None:
    cal = Calendar.objects.get(org_unit=sla["HQ"])
    with pytest.raises(Forbidden):
        do_set_calendar_days(
            cal, [DayInput(date(2027, 1, 1), "holiday", "元旦")], actor=make_user("cs_supervisor")
        )
    assert not CalendarDay.objects.filter(day=date(2027, 1, 1)).exists()


def test_calendar_change_recomputes_open_cases_only(
    sla: Any, make_case: Callable[..., Case], make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    open_case = make_case(received_at=at("2026-09-30T16:00"), classification=Classification(severity="major"))
    closed = make_case(received_at=at("2026-09-30T16:00"), classification=Classification(severity="major"))
    for case in (open_case, closed):
        sync_case_clocks(case, at=case.received_at, trigger="created")
    Case.objects.filter(pk=closed.pk).update(status="closed")
    old_closed = CaseClock.objects.get(case=closed, code="handling").due_at
    cal = Calendar.objects.get(org_unit=sla["HQ"])
    # 2026-10-08 becomes a holiday too: the open case's handling moves a working day later.
    admin = make_user("admin")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        do_set_calendar_days(cal, [DayInput(date(2026, 10, 8), "holiday", "加休")], actor=admin)
    assert len(callbacks) == 2  # drop cached calendars, then the recompute task
    assert CaseClock.objects.get(case=open_case, code="handling").due_at == at("2026-10-10T16:00")
    assert CaseClock.objects.get(case=closed, code="handling").due_at == old_closed == at("2026-10-09T16:00")


def test_import_file_formats_and_errors(sla: Any) -> None:
    csv_rows = parse_days_file(
        "date,type,name\n2027-10-01,holiday,国庆节\n2027-09-26,workday,国庆节\n".encode(), "2027.csv"
    )
    assert csv_rows == [
        DayInput(date(2027, 10, 1), "holiday", "国庆节"),
        DayInput(date(2027, 9, 26), "workday", "国庆节"),
    ]
    js = json.dumps([{"date": "2027-01-01", "type": "holiday", "name": "元旦"}]).encode()
    assert parse_days_file(js, "x.json") == [DayInput(date(2027, 1, 1), "holiday", "元旦")]
    with pytest.raises(ValidationFailed) as err:
        parse_days_file(b"date,type,name\n2027-13-01,holiday,x\n", "bad.csv")
    assert "2" in err.value.fields["file"][0]


def test_cli_import_and_show(
    sla: Any, tmp_path: Any, capsys: Any, django_capture_on_commit_callbacks: Any
) -> None:
    f = tmp_path / "2027.csv"
    f.write_text("date,type,name\n2027-10-01,holiday,国庆节\n2027-09-26,workday,国庆节\n", encoding="utf-8")
    call_command("calendar", "show", "--year", "2027")
    assert "2027" in capsys.readouterr().out
    with django_capture_on_commit_callbacks(execute=True):
        call_command("calendar", "import", str(f))
    assert CalendarDay.objects.filter(day=date(2027, 9, 26), type="workday", source="import").exists()
    call_command("calendar", "show", "--year", "2027", "--unit", "S-E1")
    out = capsys.readouterr().out
    assert "2027-10-01" in out and "国庆节" in out
    bad = tmp_path / "bad.json"
    bad.write_text('[{"date": "x"}]', encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("calendar", "import", str(bad))


def test_policy_save_and_most_specific_match(
    sla: Any, make_case: Callable[..., Case], make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin: User = make_user("admin")
    with django_capture_on_commit_callbacks(execute=True):
        do_save_policy(
            PolicyInput(
                name="华东", org_unit=sla["EAST"], targets=(TargetInput("first_response", 3, "hours"),)
            ),
            actor=admin,
        )
    case = make_case(unit="S-E1", received_at=at("2026-10-12T09:00"))
    sync_case_clocks(case, at=case.received_at, trigger="created")
    assert CaseClock.objects.get(case=case, code="first_response").due_at == at("2026-10-12T12:00")
    assert CaseClock.objects.get(case=case, code="handling").due_at == at(
        "2026-10-13T18:00"
    )  # default policy
    south = make_case(unit="S-S1", received_at=at("2026-10-12T09:00"))
    sync_case_clocks(south, at=south.received_at, trigger="created")
    assert CaseClock.objects.get(case=south, code="first_response").due_at == at("2026-10-12T18:00")
    with pytest.raises(ValidationFailed):
        do_save_policy(PolicyInput(name="x", targets=(TargetInput("relay", 0, "hours"),)), actor=admin)
