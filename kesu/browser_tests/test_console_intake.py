"""Staff: log in, register a phone complaint, find it again by a Chinese word (IN-1, SR-1)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from kesu.browser_tests.conftest import zh
from kesu.cases.choices import Channel, Kind
from kesu.cases.models import Case

pytestmark = pytest.mark.browser

DESCRIPTION = "昨天在南京路店买的月饼里面有一根头发，孩子差点吃下去，要求退款并给个说法。"


def log_in(page: Any, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label(zh("User name")).fill(username)
    page.get_by_label(zh("Password")).fill(password)
    page.get_by_role("button", name=zh("Log in")).click()
    expect(page).to_have_url(re.compile(r"/cases/$"))


def test_staff_registers_phone_complaint_and_finds_it_by_chinese_word(
    page: Any, make_user: Any
) -> None:
    agent = make_user("intake_agent", unit="S-E1", password="pass-1234")
    log_in(page, agent.username, "pass-1234")

    nav = page.get_by_role("navigation", name=zh("Main navigation"))
    nav.get_by_role("link", name=zh("New case")).filter(visible=True).click()
    expect(page.get_by_role("heading", name=zh("New case"))).to_be_visible()
    page.get_by_role("group", name=zh("Channel")).get_by_text(zh(Channel.PHONE.label), exact=True).click()
    page.get_by_role("group", name=zh("Kind")).get_by_text(zh(Kind.COMPLAINT.label), exact=True).click()
    page.get_by_role("textbox", name=zh("Phone"), exact=True).fill("13900002222")
    page.get_by_role("textbox", name=zh("Customer name"), exact=True).fill("李四")
    page.get_by_label(zh("Product"), exact=True).fill("五仁月饼")
    page.get_by_label(zh("Description"), exact=True).fill(DESCRIPTION)
    page.get_by_role("button", name=zh("Register case")).click()

    expect(page).to_have_url(re.compile(r"/cases/[^/]+/$"))
    case = Case.objects.get()
    assert case.description == DESCRIPTION
    assert (case.channel, case.kind, case.org_unit.code) == ("phone", "complaint", "S-E1")
    assert case.intake_by == agent
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.number)

    page.goto("/cases/")
    page.get_by_role("searchbox", name=zh("Search")).fill("头发")
    page.get_by_role("button", name=zh("Filter")).click()
    expect(page).to_have_url(re.compile(r"[?&]q=%E5%A4%B4%E5%8F%91"))
    table = page.get_by_test_id("case-table")
    expect(table.get_by_role("link", name=case.number, exact=True)).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(1)

    page.get_by_role("searchbox", name=zh("Search")).fill("茶叶")
    page.get_by_role("button", name=zh("Filter")).click()
    expect(page.get_by_test_id("case-table")).to_have_count(0)
