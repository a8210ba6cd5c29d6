"""The policy of repeat detection and crisis teams (TR-5, TR-7), edited by administrators in the
console and over the API, and what intake does with it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kesu.cases.actions import ProductInput
from kesu.cases.models import Case, CaseLink, LinkSettings
from kesu.core.models import AuditEvent
from kesu.org.models import User

pytestmark = pytest.mark.django_db

FORM = {"window_days": "60", "repeat_threshold": "0.3", "duplicate_threshold": "0.8",
        "duplicate_window_days": "3", "max_candidates": "200", "max_batch_links": "50",
        "crisis_roles": ["executive"], "crisis_department_kinds": ["quality"]}


def _client(user: User, *, english: bool = False) -> Client:
    client = Client()
    if english:
        client.cookies["kesu_language"] = "en"
    client.force_login(user)
    return client


def test_the_page_shows_the_defaults_in_chinese(org: Any) -> None:
    page = _client(User.objects.get(username="admin")).get("/settings/related/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "相关客诉与危机" in text and 'name="window_days" value="30"' in text
    assert 'value="executive"' in text and "checked" in text


def test_an_admin_widens_the_window_and_intake_uses_it(org: Any, make_case: Callable[..., Case]) -> None:
    admin = User.objects.get(username="admin")
    old = make_case(received_at=timezone.now() - timedelta(days=45), product=ProductInput(name="茶"))
    assert not CaseLink.objects.filter(case=make_case(product=ProductInput(name="茶"))).exists()

    r = _client(admin).post("/settings/related/", FORM)

    assert r.status_code == 302
    row = LinkSettings.objects.get()
    assert (row.window_days, row.crisis_roles) == (60, ["executive"])
    assert row.crisis_department_kinds == ["quality"]
    assert AuditEvent.objects.filter(type="link_settings.saved", actor=admin).count() == 1
    later = make_case(product=ProductInput(name="茶"))
    assert CaseLink.objects.filter(case=later, other=old, kind="repeat").exists()


def test_bad_values_are_refused_field_by_field_and_nothing_changes(org: Any) -> None:
    admin = User.objects.get(username="admin")
    r = _client(admin, english=True).post("/settings/related/", {
        **FORM, "repeat_threshold": "0.9", "duplicate_threshold": "0.5", "window_days": "0"})
    text = r.content.decode()
    assert r.status_code == 422
    assert "At least the repeat similarity." in text and "Between 1 and 366." in text
    assert not LinkSettings.objects.exists()
    r = _client(admin).post("/settings/related/", {**FORM, "window_days": "abc"})
    assert r.status_code == 422 and not LinkSettings.objects.exists()


def test_only_administrators_may_open_or_change_it(org: Any, make_user: Callable[..., User]) -> None:
    supervisor = _client(make_user("cs_supervisor"))
    assert supervisor.get("/settings/related/").status_code == 403
    assert supervisor.post("/settings/related/", FORM).status_code == 403
    assert not LinkSettings.objects.exists()


def test_the_api_reads_and_changes_the_same_settings(
    org: Any, make_user: Callable[..., User], api_client: Callable[[User], Any],
) -> None:
    admin = api_client(User.objects.get(username="admin"))
    body = admin.get("/api/v1/triage/related-settings").json()
    assert body["window_days"] == 30 and body["crisis_roles"] == ["executive", "cs_supervisor"]

    r = admin.put("/api/v1/triage/related-settings", {**body, "window_days": 90, "max_batch_links": 10})
    assert r.status_code == 200 and r.json()["window_days"] == 90
    assert (LinkSettings.objects.get().window_days, LinkSettings.objects.get().max_batch_links) == (90, 10)

    bad = admin.put("/api/v1/triage/related-settings", {**body, "crisis_roles": ["nobody"]})
    assert bad.status_code == 422 and bad.json()["code"] == "validation_failed"
    assert "crisis_roles" in bad.json()["fields"]
    handler = api_client(make_user("handler"))
    assert handler.put("/api/v1/triage/related-settings", body).status_code == 403
    assert LinkSettings.objects.get().window_days == 90
