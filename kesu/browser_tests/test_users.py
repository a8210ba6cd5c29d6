"""An administrator deactivates a leaver on a phone-sized screen; the leaver is then refused (SE-2)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import expect

from kesu.browser_tests.conftest import zh
from kesu.browser_tests.test_console_intake import log_in
from kesu.core.models import AuditEvent
from kesu.org.models import User

pytestmark = pytest.mark.browser


def test_admin_deactivates_a_leaver_who_then_cannot_sign_in(page: Any, make_user: Any, org: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    admin = make_user("admin", unit="HQ", password="pass-1234")
    leaver = make_user("handler", unit="S-E1", password="leaver-pass-1")
    log_in(page, admin.username, "pass-1234")

    page.get_by_role("button", name=zh("Show the menu")).click()
    page.get_by_test_id("nav-settings").click()
    page.get_by_test_id("nav-users").click()
    page.get_by_label(zh("Search")).fill(leaver.username)
    page.get_by_role("button", name=zh("Filter")).click()
    if os.environ.get("KESU_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["KESU_SCREENSHOTS"], "user-list.png"), full_page=True)
    page.locator(f'[data-username="{leaver.username}"]').click()

    page.get_by_label(zh("Reason")).fill("已离职")
    page.get_by_role("button", name=zh("Deactivate…")).click()
    confirm = page.get_by_test_id("confirm")
    expect(confirm).to_contain_text(str(leaver))
    if os.environ.get("KESU_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["KESU_SCREENSHOTS"], "user-confirm.png"), full_page=True)
    confirm.get_by_role("button", name=zh("Yes, deactivate")).click()

    expect(page.get_by_test_id("account-state")).to_have_text(zh("Deactivated"))
    expect(page.get_by_test_id("deactivation")).to_contain_text("已离职")
    if os.environ.get("KESU_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["KESU_SCREENSHOTS"], "user-detail.png"), full_page=True)
    assert User.objects.get(pk=leaver.pk).is_active is False
    assert AuditEvent.objects.filter(type="user.deactivated", object_id=leaver.username).count() == 1

    page.context.clear_cookies()
    page.goto("/login/")
    page.get_by_label(zh("User name")).fill(leaver.username)
    page.get_by_label(zh("Password")).fill("leaver-pass-1")
    page.get_by_role("button", name=zh("Log in")).click()
    expect(page.get_by_test_id("login-error")).to_have_text(zh(
        "Your account has been deactivated, so you cannot sign in. If you still need it, "
        "please ask your administrator to reactivate it."))
