"""The workflow panel, the communication log and the policy pages of the console."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kesu.cases.models import AuthorityLimit, Case, CaseMessage, RoutingRule
from kesu.org.actions import do_create_department
from kesu.org.models import Department, OrgUnit, User

pytestmark = pytest.mark.django_db


def _login(user: User, english: bool = False) -> Client:
    client = Client()
    if english:
        client.cookies["kesu_language"] = "en"
    client.force_login(user)
    return client


@pytest.fixture
def quality(org: dict[str, OrgUnit]) -> Department:
    return do_create_department(code="QA", name="质量部", kind="quality", org_unit=org["HQ"], actor=None)


def test_the_case_page_offers_the_moves_of_the_users_role(
    make_user: Callable[..., User], make_case: Callable[..., Case],
) -> None:
    case = make_case()
    page = _login(make_user("intake_agent")).get(f"/cases/{case.number}/").content.decode()
    assert 'data-to="accepted"' in page and "受理" in page
    assert 'data-to="closed"' not in page
    assert "沟通记录" in page
    auditor_page = _login(make_user("auditor")).get(f"/cases/{case.number}/").content.decode()
    assert 'data-testid="transition-form"' not in auditor_page
    assert 'data-testid="message-form"' not in auditor_page


def test_moving_a_case_from_the_page_and_an_illegal_move_is_explained(
    make_user: Callable[..., User], make_case: Callable[..., Case],
) -> None:
    case = make_case()
    client = _login(make_user("intake_agent"))
    done = client.post(f"/cases/{case.number}/transition/", {"to": "accepted"}, follow=True)
    assert done.status_code == 200
    assert Case.objects.get(pk=case.pk).status == "accepted"
    refused = client.post(f"/cases/{case.number}/transition/", {"to": "closed"})
    assert refused.status_code == 422
    assert "不能" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).status == "accepted"
    no_reason = client.post(f"/cases/{case.number}/transition/", {"to": "rejected"})
    assert no_reason.status_code == 422 and Case.objects.get(pk=case.pk).status == "accepted"


def test_assigning_from_the_page_and_the_my_cases_view(
    make_user: Callable[..., User], make_case: Callable[..., Case], quality: Department,
) -> None:
    handler = make_user("handler", department="QA")
    agent = make_user("intake_agent")
    case = make_case(actor=agent)
    r = _login(agent).post(f"/cases/{case.number}/assign/", {"owner": handler.username})
    assert r.status_code == 302
    case.refresh_from_db()
    assert (case.owner, case.department, case.status) == (handler, quality, "assigned")
    mine = _login(handler).get("/cases/", {"view": "mine"}).content.decode()
    assert case.number in mine
    unassigned = _login(handler).get("/cases/", {"view": "unassigned"}).content.decode()
    assert case.number not in unassigned


def test_recording_a_reply_with_a_promise_from_the_page(
    make_user: Callable[..., User], make_case: Callable[..., Case],
) -> None:
    agent = make_user("intake_agent")
    case = make_case(actor=agent)
    r = _login(agent).post(f"/cases/{case.number}/messages/", {
        "kind": "call", "direction": "outbound", "visible_to_customer": "on",
        "body": "已致电顾客说明处理进度", "contact": "13800001111",
        "promised_reply_at": "2099-01-05T10:00",
    })
    assert r.status_code == 302
    message = CaseMessage.objects.get(case=case)
    assert (message.kind, message.visible_to_customer, message.author) == ("call", True, agent)
    page = _login(agent).get(f"/cases/{case.number}/").content.decode()
    assert "已致电顾客说明处理进度" in page
    empty = _login(agent).post(f"/cases/{case.number}/messages/", {"kind": "note", "direction": "internal",
                                                                   "body": ""})
    assert empty.status_code == 422 and CaseMessage.objects.filter(case=case).count() == 1


def test_admins_edit_routing_rules_and_authority_limits(
    make_user: Callable[..., User], quality: Department,
) -> None:
    admin = User.objects.get(username="admin")
    client = _login(admin)
    r = client.post("/settings/routing/", {"name": "包装问题", "position": 5, "category": "packaging",
                                           "department": "QA", "method": "round_robin", "is_active": "on"})
    assert r.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.category.code, rule.department, rule.method) == ("packaging", quality, "round_robin")  # type: ignore[union-attr]
    assert "包装问题" in client.get("/settings/routing/").content.decode()
    r = client.post("/settings/authority/", {"handler": "major"})
    assert r.status_code == 302
    assert AuthorityLimit.objects.get(role="handler").max_severity == "major"
    handler = _login(make_user("handler"))
    assert handler.get("/settings/routing/").status_code == 403
    assert handler.post("/settings/authority/", {"handler": "special"}).status_code == 403
    assert AuthorityLimit.objects.get(role="handler").max_severity == "major"


def test_the_panel_speaks_english_when_chosen(
    make_user: Callable[..., User], make_case: Callable[..., Case],
) -> None:
    case = make_case()
    page: Any = _login(make_user("intake_agent"), english=True).get(f"/cases/{case.number}/")
    text = page.content.decode()
    assert "Communication log" in text and "Accepted" in text
