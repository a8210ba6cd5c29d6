"""The language switch: Simplified Chinese by default, English on request, and back (UI-5)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from kesu.browser_tests.conftest import en, zh

pytestmark = pytest.mark.browser


def test_english_switch_turns_the_ui_to_english_and_back(page: Any, org: Any) -> None:
    page.goto("/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    log_in = page.get_by_role("button", name=zh("Log in"))
    expect(log_in).to_be_visible()
    assert zh("Log in") != en("Log in")

    page.get_by_test_id("language-switch").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login/$"))  # back on the page where it was pressed

    # The choice is remembered across pages: the portal is English too.
    page.goto("/portal/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name=en("We are listening"))).to_be_visible()

    page.get_by_test_id("language-switch").get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", name=zh("We are listening"))).to_be_visible()
    page.goto("/login/")
    expect(page.get_by_role("button", name=zh("Log in"))).to_be_visible()
