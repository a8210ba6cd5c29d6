"""Deactivating a staff account: who may, what it stops at once, what stays (open cases), reactivation."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from kesu.cases.actions_workflow import Assignment, do_assign_case
from kesu.cases.models import Case, RoutingRule
from kesu.conftest import english_client
from kesu.core.audit import verify_audit_chain
from kesu.core.errors import Conflict, Forbidden, ValidationFailed
from kesu.core.models import AuditEvent
from kesu.org.actions import do_create_department, do_deactivate_user, do_reactivate_user
from kesu.org.models import ApiToken, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(org: Any) -> User:
    return User.objects.get(username="admin")


def _signed_in(user: User, password: str = "pass-1234") -> Client:
    client = english_client()
    assert client.post("/login/", {"username": user.username, "password": password}).status_code == 302
    return client


def _state(user: User) -> tuple[bool, int, int]:
    """Active flag, live tokens, audit rows: what a refused deactivation must leave unchanged."""
    user.refresh_from_db()
    return (user.is_active, ApiToken.objects.filter(user=user, revoked_at__isnull=True).count(),
            AuditEvent.objects.count())


def test_deactivation_shuts_the_account_out_everywhere_at_once(make_user, api_client, admin):
    leaver = make_user("handler", unit="S-E1")
    other = make_user("handler", unit="S-E1")
    api = api_client(leaver)
    assert api.get("/api/v1/cases").status_code == 200  # the token is checked and remembered
    console, other_console = _signed_in(leaver), _signed_in(other)
    assert console.get("/cases/").status_code == 200

    change = do_deactivate_user(leaver, actor=admin, reason="已离职")

    assert (change.tokens_revoked, change.sessions_ended) == (1, 1)
    assert (change.open_cases_owned, change.open_cases_coordinated) == (0, 0)
    assert User.objects.get(pk=leaver.pk).is_active is False and leaver.is_active is False
    assert ApiToken.objects.get(user=leaver).revoked_at is not None
    r = api.get("/api/v1/cases")
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"
    r = console.get("/cases/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    # Only the leaver's session is gone.
    assert [s.get_decoded()["_auth_user_id"] for s in Session.objects.all()] == [str(other.pk)]
    assert other_console.get("/cases/").status_code == 200
    event = AuditEvent.objects.get(type="user.deactivated")
    assert (event.actor_id, event.object_type, event.object_id) == (admin.pk, "user", leaver.username)
    assert event.data == {"reason": "已离职", "tokens_revoked": [api.token[:10]], "sessions_ended": 1,
                          "open_cases_owned": 0, "open_cases_coordinated": 0}
    assert AuditEvent.objects.get(type="token.revoked").data == {"prefixes": [api.token[:10]]}
    assert list(verify_audit_chain()) == []


def test_a_deactivated_user_cannot_sign_in_and_is_told_why_in_chinese(make_user, admin):
    leaver = make_user("handler", password="right-pass-1")
    do_deactivate_user(leaver, actor=admin)

    client = Client()  # no language chosen: the console speaks Chinese
    r = client.post("/login/", {"username": leaver.username, "password": "right-pass-1"})
    assert r.status_code == 200 and "_auth_user_id" not in client.session
    assert "您的账号已停用，无法登录。如仍需使用，请联系系统管理员重新启用。" in r.content.decode()
    event = AuditEvent.objects.filter(type="user.login_failed").get()
    assert (event.object_id, event.data["deactivated"]) == (leaver.username, True)
    # A wrong password learns nothing about the account.
    r = client.post("/login/", {"username": leaver.username, "password": "wrong"})
    assert "账号已停用" not in r.content.decode() and "用户名或密码不正确" in r.content.decode()


def test_reactivation_restores_sign_in_but_not_the_old_tokens(make_user, api_client, admin):
    leaver = make_user("handler", password="right-pass-1")
    api = api_client(leaver)
    do_deactivate_user(leaver, actor=admin, reason="长假")

    change = do_reactivate_user(leaver, actor=admin, reason="返岗")

    assert User.objects.get(pk=leaver.pk).is_active is True and change.tokens_revoked == 0
    assert api.get("/api/v1/cases").status_code == 401
    assert _signed_in(leaver, "right-pass-1").get("/cases/").status_code == 200
    event = AuditEvent.objects.get(type="user.reactivated")
    assert (event.actor_id, event.object_id, event.data) == (admin.pk, leaver.username, {"reason": "返岗"})


@pytest.mark.parametrize("role", ["handler", "department_head", "cs_supervisor", "executive", "auditor"])
def test_only_administrators_may_deactivate(make_user, api_client, role):
    target, actor = make_user("handler"), make_user(role)
    api = api_client(target)
    before = _state(target)
    with pytest.raises(Forbidden) as exc:
        do_deactivate_user(target, actor=actor, reason="x")
    assert exc.value.code == "user_manage_not_allowed"
    assert _state(target) == before and api.get("/api/v1/cases").status_code == 200


def test_nobody_deactivates_themselves_or_the_last_administrator(make_user, admin):
    before = _state(admin)
    with pytest.raises(Forbidden) as exc:
        do_deactivate_user(admin, actor=admin)
    assert exc.value.code == "own_account"
    with pytest.raises(Conflict) as exc:
        do_deactivate_user(admin, actor=None)  # the command line
    assert exc.value.code == "last_admin"
    assert _state(admin) == before

    second = make_user("admin")
    do_deactivate_user(admin, actor=second)
    with pytest.raises(Conflict) as exc:
        do_deactivate_user(second, actor=None)
    assert exc.value.code == "last_admin"
    assert User.objects.get(pk=second.pk).is_active is True


def test_deactivating_twice_or_reactivating_an_active_account_is_a_conflict(make_user, admin):
    user = make_user("handler")
    with pytest.raises(Conflict) as exc:
        do_reactivate_user(user, actor=admin)
    assert exc.value.code == "already_active"
    do_deactivate_user(user, actor=admin)
    count = AuditEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        do_deactivate_user(user, actor=admin)
    assert exc.value.code == "already_inactive" and AuditEvent.objects.count() == count


# --- open cases and routing ------------------------------------------------------------------

@pytest.fixture
def quality(org: Any) -> Any:
    return do_create_department(code="QA", name="质量部", kind="quality", org_unit=org["HQ"], actor=None)


def test_open_cases_stay_with_the_leaver_and_visible_to_the_department_head(
    make_user, make_case, api_client, admin, quality,
):
    leaver = make_user("handler", department="QA")
    head = make_user("department_head", unit="HQ", department="QA")
    owned = [do_assign_case(make_case(unit="S-E1"), Assignment(owner=leaver.username), actor=admin)
             for _ in range(2)]
    coordinated = do_assign_case(make_case(), Assignment(owner=head.username, coordinator=leaver.username),
                                 actor=admin)

    change = do_deactivate_user(leaver, actor=admin, reason="离职")

    assert (change.open_cases_owned, change.open_cases_coordinated) == (2, 1)
    assert [c.owner_id for c in Case.objects.filter(pk__in=[c.pk for c in owned])] == [leaver.pk] * 2
    assert Case.objects.get(pk=coordinated.pk).coordinator_id == leaver.pk
    listed = api_client(head).get("/api/v1/cases", {"view": "department"}).json()
    assert {c["number"] for c in listed["items"]} == {c.number for c in [*owned, coordinated]}
    assert {c["owner"] for c in listed["items"] if c["number"] != coordinated.number} == {leaver.username}


def test_routing_never_gives_new_work_to_a_deactivated_member(make_user, make_case, admin, quality):
    RoutingRule.objects.create(name="质量", department=quality, method="round_robin")
    leaver = make_user("handler", department="QA")
    stayer = make_user("handler", department="QA")
    do_deactivate_user(leaver, actor=admin)

    owners = {do_assign_case(make_case(), Assignment(), actor=admin).owner for _ in range(3)}
    assert owners == {stayer}

    RoutingRule.objects.update(method="least_open")
    assert do_assign_case(make_case(), Assignment(), actor=admin).owner == stayer

    do_deactivate_user(stayer, actor=admin)
    case = do_assign_case(make_case(), Assignment(), actor=admin)
    assert (case.department, case.owner) == (quality, None)  # the department's queue, nobody's desk

    case = make_case()
    with pytest.raises(ValidationFailed) as exc:
        do_assign_case(case, Assignment(owner=leaver.username), actor=admin)
    assert "owner" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        do_assign_case(case, Assignment(department="QA", coordinator=leaver.username), actor=admin)
    assert "coordinator" in exc.value.fields
    assert Case.objects.get(pk=case.pk).owner_id is None
