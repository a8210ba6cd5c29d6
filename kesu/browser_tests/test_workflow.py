"""A handler takes a case and moves it along, seeing its clocks; a supervisor sees the breaches (WF)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kesu.browser_tests.conftest import zh
from kesu.browser_tests.test_console_intake import log_in
from kesu.cases.actions import Classification
from kesu.cases.choices import Status
from kesu.cases.models import Case
from kesu.org.actions import do_create_department
from kesu.sla.actions_sweep import do_sweep_clocks
from kesu.sla.choices import ClockCode

pytestmark = pytest.mark.browser


def _press(page: Any, status: str) -> None:
    page.get_by_test_id("transition-form").locator(f'button[data-to="{status}"]').click()
    expect(page.get_by_test_id("status")).to_have_text(zh(Status(status).label))


def test_handler_takes_a_case_through_the_states_and_sees_its_clocks(
    page: Any, make_user: Any, make_case: Any, org: Any,
) -> None:
    do_create_department(code="QA", name="质量部", kind="quality", org_unit=org["HQ"], actor=None)
    handler = make_user("handler", unit="HQ", password="pass-1234", department="QA")
    case = make_case(unit="S-E1", classification=Classification(severity="major"))
    log_in(page, handler.username, "pass-1234")
    page.goto(f"/cases/{case.number}/")

    clocks = page.get_by_test_id("sla-clocks")
    expect(clocks).to_contain_text(zh(ClockCode.HANDLING.label))
    expect(clocks).to_contain_text(zh(ClockCode.REPLY.label))

    _press(page, Status.ACCEPTED)
    page.get_by_test_id("assign").locator("summary").click()
    page.get_by_test_id("assign-form").get_by_label(zh("Owner")).select_option(handler.username)
    page.get_by_test_id("assign-form").get_by_role("button", name=zh("Assign")).click()
    expect(page.get_by_test_id("status")).to_have_text(zh(Status.ASSIGNED.label))
    expect(page.get_by_test_id("owner")).to_have_text(str(handler))

    _press(page, Status.INVESTIGATING)
    page.get_by_label(zh("Reason or note")).fill("请顾客补充产品批号照片")
    _press(page, Status.AWAITING_INFO)
    expect(page.locator('[data-testid="sla-clocks"] [data-clock="handling"]')).to_have_attribute(
        "data-state", "paused")
    _press(page, Status.INVESTIGATING)
    _press(page, Status.SOLUTION_PROPOSED)

    # A handler may not approve a solution: the button is not offered.
    expect(page.get_by_test_id("transition-form").locator('button[data-to="solution_approved"]')).to_have_count(0)
    case.refresh_from_db()
    assert case.status == Status.SOLUTION_PROPOSED and case.owner == handler
    moves = [e.data["new"]["status"] for e in case.events.filter(type="case.status_changed").order_by("seq")]
    assert moves == ["accepted", "assigned", "investigating", "awaiting_info", "investigating",
                     "solution_proposed"]
    expect(page.get_by_test_id("timeline")).to_contain_text("请顾客补充产品批号照片")


def test_supervisor_sees_the_breach_list(page: Any, make_user: Any, make_case: Any) -> None:
    supervisor = make_user("cs_supervisor", unit="HQ", password="pass-1234")
    late = make_case(unit="S-E1", title="发货太慢", received_at=timezone.now() - timedelta(days=30))
    on_time = make_case(unit="S-S1", title="咨询营业时间")
    do_sweep_clocks(now=timezone.now())
    log_in(page, supervisor.username, "pass-1234")
    page.get_by_role("navigation", name=zh("Main navigation")).get_by_test_id("nav-breaches").click()
    expect(page).to_have_url(re.compile(r"/sla/breaches/"))
    body = page.locator("main")
    expect(body.get_by_role("link", name=late.number).first).to_be_visible()
    expect(body.get_by_role("link", name=on_time.number)).to_have_count(0)
    assert Case.objects.get(pk=late.pk).sla_clocks.filter(breached_at__isnull=False).exists()
