"""Customer: submit on the portal, get the receipt, track the case by number and phone (IN-6)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from kesu.browser_tests.conftest import zh
from kesu.cases.choices import Kind
from kesu.cases.models import Case

pytestmark = pytest.mark.browser

MESSAGE = "收到的西湖龙井茶叶包装破损，里面的茶叶受潮发霉了，希望换一盒新的。"


def test_customer_submits_gets_receipt_and_tracks_case(page: Any, org: Any) -> None:
    page.goto("/portal/")
    expect(page.get_by_role("heading", name=zh("We are listening"))).to_be_visible()
    page.get_by_test_id("kind").get_by_text(zh(Kind.COMPLAINT.label), exact=True).click()
    page.get_by_label(zh("Store / branch")).select_option(label="上海南京路店")
    page.get_by_label(zh("Your message")).fill(MESSAGE)
    page.get_by_label(zh("Product or service")).fill("西湖龙井")
    page.get_by_label(zh("Your name")).fill("王五")
    page.get_by_label(zh("Phone number"), exact=True).fill("138 0013 8000")
    page.get_by_test_id("send").click()

    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_be_visible()
    number = page.get_by_test_id("case-number").inner_text().strip()
    case = Case.objects.get()
    assert number == case.number
    assert re.fullmatch(r"[A-Z]+-\d{6}-\d{5}", number)
    assert (case.channel, case.kind, case.org_unit.code) == ("portal", "complaint", "S-E1")
    assert case.description == MESSAGE
    expect(page.get_by_test_id("promised-at")).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"))
    expect(page.get_by_test_id("track-by-phone")).to_contain_text(number)

    page.get_by_test_id("track-by-phone").get_by_role("link").click()
    expect(page.get_by_role("heading", name=zh("Track my case"))).to_be_visible()
    page.get_by_label(zh("Case number")).fill(number)
    page.get_by_label(zh("Phone number you gave us")).fill("13800138000")
    page.get_by_role("button", name=zh("Show my case")).click()

    expect(page.get_by_test_id("case-number")).to_have_text(number)
    expect(page.get_by_test_id("description")).to_have_text(MESSAGE)
    expect(page.get_by_test_id("history")).not_to_be_empty()


def test_tracking_with_the_wrong_phone_shows_nothing_of_the_case(page: Any, make_case: Any) -> None:
    case = make_case(unit="S-E1")
    page.goto("/portal/track/")
    page.get_by_label(zh("Case number")).fill(case.number)
    page.get_by_label(zh("Phone number you gave us")).fill("13999999999")
    page.get_by_role("button", name=zh("Show my case")).click()

    expect(page.get_by_test_id("track-error")).to_be_visible()
    expect(page.get_by_test_id("description")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(case.description)
