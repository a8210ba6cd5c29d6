"""Console pages and API of the sla app: admin-only calendars and policies, scoped breach list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from kesu.cases.actions import Classification
from kesu.cases.models import Case
from kesu.conftest import english_client
from kesu.org.models import OrgUnit, User
from kesu.sla.actions import sync_case_clocks
from kesu.sla.actions_sweep import do_sweep_clocks
from kesu.sla.defaults import install_sla_defaults
from kesu.sla.models import CalendarDay, SlaPolicy
from kesu.sla.queries import clock_views

SH = ZoneInfo("Asia/Shanghai")


def at(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=SH)


@pytest.fixture
def sla(org: dict[str, OrgUnit]) -> dict[str, OrgUnit]:
    install_sla_defaults()
    return org


def login(user: User) -> Client:
    client = english_client()
    client.force_login(user)
    return client


@pytest.fixture
def breached(sla: Any, make_case: Callable[..., Case]) -> dict[str, Case]:
    out = {}
    for unit in ("S-E1", "S-S1"):
        case = make_case(
            unit=unit, received_at=at("2026-09-30T16:00"), classification=Classification(severity="major")
        )
        sync_case_clocks(case, at=case.received_at, trigger="created")
        out[unit] = case
    do_sweep_clocks(now=at("2026-10-08T15:00"))  # relay breached (11:00), first response warned (14:24)
    return out


def test_calendar_pages_are_for_administrators(sla: Any, make_user: Callable[..., User]) -> None:
    assert login(make_user("cs_supervisor")).get("/sla/calendars/").status_code == 403
    assert login(make_user("cs_supervisor")).get("/sla/policies/").status_code == 403
    page = login(make_user("admin")).get("/sla/calendars/")
    assert page.status_code == 200
    assert b'data-unit="S-E1"' in page.content and b"From HQ" in page.content


def test_year_view_shows_holidays_and_warns_for_a_year_without_data(sla: Any, make_user: Any) -> None:
    client = login(make_user("admin"))
    page = client.get("/sla/calendars/HQ/", {"year": 2026}).content.decode()
    assert 'data-day="2026-10-01" data-type="holiday"' in page and "国庆节" in page
    assert 'data-day="2026-10-10" data-type="workday"' in page
    assert 'data-testid="no-data-warning"' not in page
    assert (
        'data-testid="no-data-warning"' in client.get("/sla/calendars/HQ/", {"year": 2027}).content.decode()
    )


def test_admin_adds_and_imports_days(sla: Any, make_user: Any) -> None:
    client = login(make_user("admin"))
    r = client.post("/sla/calendars/HQ/days/", {"day": "2027-10-01", "type": "holiday", "name": "国庆节"})
    assert r.status_code == 302 and r["Location"].endswith("?year=2027")
    assert CalendarDay.objects.filter(day=date(2027, 10, 1), type="holiday", source="admin").exists()
    upload = SimpleUploadedFile("2027.csv", "date,type,name\n2027-09-26,workday,国庆节\n".encode())
    assert client.post("/sla/calendars/HQ/import/", {"file": upload}).status_code == 302
    assert CalendarDay.objects.get(day=date(2027, 9, 26)).source == "import"
    bad = SimpleUploadedFile("x.csv", b"date,type,name\nnot-a-date,holiday,x\n")
    r = client.post("/sla/calendars/HQ/import/", {"file": bad})
    assert r.status_code == 422 and "2027-10-01" in r.content.decode()
    r = client.post("/sla/calendars/S-E1/days/", {"day": "2027-10-02", "type": "holiday"})
    assert r.status_code == 422 and not CalendarDay.objects.filter(day=date(2027, 10, 2)).exists()


def test_admin_creates_a_policy(sla: Any, make_user: Any) -> None:
    client = login(make_user("admin"))
    assert client.get("/sla/policies/new/").status_code == 200
    data = {
        "name": "VIP 急件",
        "customer_level": "vip",
        "is_active": "on",
        "first_response_amount": "2",
        "first_response_unit": "hours",
        "first_response_warn": "50",
    }
    for code in ("relay", "handling", "reply", "callback"):
        data.update({f"{code}_unit": "days", f"{code}_warn": "80"})
    r = client.post("/sla/policies/new/", data)
    assert r.status_code == 302
    policy = SlaPolicy.objects.get(name="VIP 急件")
    assert [(t.clock, t.amount, t.unit, t.warn_percent) for t in policy.targets.all()] == [
        ("first_response", 2, "hours", 50)
    ]
    assert "VIP 急件" in client.get("/sla/policies/").content.decode()


def test_breach_list_shows_only_visible_cases(breached: dict[str, Case], make_user: Any) -> None:
    east = login(make_user("cs_supervisor", "EAST")).get("/sla/breaches/").content.decode()
    assert breached["S-E1"].number in east and breached["S-S1"].number not in east
    hq = login(make_user("cs_supervisor", "HQ")).get("/sla/breaches/", {"sort": "-due_at"}).content.decode()
    assert breached["S-E1"].number in hq and breached["S-S1"].number in hq


def test_api_breaches_and_calendars(breached: dict[str, Case], make_user: Any, api_client: Any) -> None:
    api = api_client(make_user("cs_supervisor", "EAST"))
    body = api.get("/api/v1/sla/breaches").json()
    assert body["count"] == 2  # relay breached, first response warned
    assert {(i["case"], i["clock"]) for i in body["items"]} == {
        (breached["S-E1"].number, "relay"),
        (breached["S-E1"].number, "first_response"),
    }
    cal = api.get("/api/v1/sla/calendars/S-E1", {"year": 2026}).json()
    assert (
        cal["calendar_unit"] == "HQ"
        and {"date": "2026-10-10", "type": "workday"}.items()
        <= {k: v for k, v in next(d for d in cal["days"] if d["date"] == "2026-10-10").items()}.items()
    )
    assert api.get("/api/v1/sla/calendars/S-S1").status_code == 404  # another region
    clocks = api.get(f"/api/v1/sla/cases/{breached['S-E1'].number}/clocks").json()
    assert [c["code"] for c in clocks] == ["relay", "first_response", "handling", "reply"]


def test_case_clocks_include_renders_the_views(breached: dict[str, Case]) -> None:
    with translation.override("en"):
        views = clock_views(breached["S-E1"], now=at("2026-10-08T15:00"))
        html = render_to_string("sla/_case_clocks.html", {"clocks": views})
    assert 'data-clock="relay" data-state="breached"' in html and "Overdue" in html
    assert "1 working day(s) 1 h left" in html
