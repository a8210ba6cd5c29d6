"""Staff account pages: list with filters, one account, deactivate / reactivate with confirmation."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from kesu.cases.actions_workflow import Assignment, do_assign_case
from kesu.core.models import AuditEvent
from kesu.org.actions import do_create_department, do_create_token, do_deactivate_user
from kesu.org.models import ApiToken, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(org) -> User:
    return User.objects.get(username="admin")


def _unchanged(user: User) -> tuple[bool, int, int]:
    user.refresh_from_db()
    return (user.is_active, ApiToken.objects.filter(user=user, revoked_at__isnull=True).count(),
            AuditEvent.objects.count())


def test_the_list_shows_role_unit_state_and_filters(make_user, console, admin):
    east = make_user("handler", unit="EAST")
    gone = make_user("auditor", unit="S-S1")
    do_deactivate_user(gone, actor=admin, reason="离职")
    client = console(admin)

    html = client.get("/users/").content.decode()
    assert east.username in html and gone.username not in html and "Handler" in html and "华东大区" in html
    html = client.get("/users/", {"state": "inactive"}).content.decode()
    assert gone.username in html and east.username not in html
    assert "离职" in html and "deactivated" in html and "by admin" in html
    html = client.get("/users/", {"state": "all", "org_unit": "SOUTH"}).content.decode()
    assert gone.username in html and east.username not in html
    html = client.get("/users/", {"state": "all", "role": "handler", "q": east.username}).content.decode()
    assert east.username in html and gone.username not in html and 'data-username="admin"' not in html
    assert 'href="/users/"' in client.get("/cases/").content.decode()  # in the settings menu


@pytest.mark.parametrize("role", ["handler", "department_head", "cs_supervisor", "executive", "auditor"])
def test_other_roles_may_not_open_or_post_the_pages(make_user, console, role):
    target = make_user("handler")
    client = console(make_user(role))
    before = _unchanged(target)
    assert client.get("/users/").status_code == 403
    assert client.get(f"/users/{target.username}/").status_code == 403
    r = client.post(f"/users/{target.username}/deactivate/", {"reason": "x", "confirm": "1"})
    assert r.status_code == 403 and _unchanged(target) == before
    assert 'href="/users/"' not in client.get("/cases/").content.decode()


def test_deactivation_asks_for_a_reason_then_confirmation_then_reports(
    make_user, make_case, console, admin, org,
):
    do_create_department(code="QA", name="质量部", kind="quality", org_unit=org["HQ"], actor=None)
    leaver = make_user("handler", unit="HQ", department="QA")
    do_create_token(leaver, actor=None)
    case = do_assign_case(make_case(unit="S-E1"), Assignment(owner=leaver.username), actor=admin)
    leaver_client = Client()
    leaver_client.force_login(leaver)
    client = console(admin)
    before = _unchanged(leaver)

    page = client.get(f"/users/{leaver.username}/").content.decode()
    assert case.number in page and 'data-testid="deactivate-form"' in page

    r = client.post(f"/users/{leaver.username}/deactivate/", {"reason": ""})
    assert r.status_code == 422 and _unchanged(leaver) == before

    r = client.post(f"/users/{leaver.username}/deactivate/", {"reason": "已离职"})
    html = r.content.decode()
    assert r.status_code == 200 and 'data-testid="confirm"' in html
    assert "1 API token will be revoked." in html and "They still own 1 open case." in html
    assert 'name="reason" value="已离职"' in html and 'name="confirm" value="1"' in html
    assert _unchanged(leaver) == before

    r = client.post(f"/users/{leaver.username}/deactivate/", {"reason": "已离职", "confirm": "1"},
                    follow=True)
    html = r.content.decode()
    assert r.redirect_chain == [(f"/users/{leaver.username}/", 302)]
    assert "account is deactivated: 1 API token(s) revoked, 1 session(s) ended." in html
    assert "still owns 1 open case(s) and coordinates 0" in html and case.number in html
    assert 'data-testid="activate-form"' in html
    leaver.refresh_from_db()
    assert leaver.is_active is False
    assert not Session.objects.filter(session_key=leaver_client.session.session_key).exists()
    assert leaver_client.get("/cases/").status_code == 302
    assert AuditEvent.objects.get(type="user.deactivated").data["reason"] == "已离职"

    r = client.post(f"/users/{leaver.username}/activate/", {"reason": "", "confirm": "1"})
    assert r.status_code == 302
    leaver.refresh_from_db()
    assert leaver.is_active is True


def test_an_administrator_cannot_deactivate_themselves_from_the_page(console, admin):
    client = console(admin)
    page = client.get("/users/admin/").content.decode()
    assert "You cannot deactivate your own account." in page and 'data-testid="deactivate-form"' not in page
    before = _unchanged(admin)
    r = client.post("/users/admin/deactivate/", {"reason": "x", "confirm": "1"}, follow=True)
    assert "You cannot deactivate your own account." in r.content.decode()
    assert _unchanged(admin) == before


def test_no_change_on_get_and_none_without_the_csrf_token(make_user, admin):
    target = make_user("handler")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    before = _unchanged(target)
    assert client.get(f"/users/{target.username}/deactivate/").status_code == 405
    assert client.post(f"/users/{target.username}/deactivate/",
                       {"reason": "x", "confirm": "1"}).status_code == 403
    assert _unchanged(target) == before


def test_pages_speak_chinese_by_default(make_user, admin):
    target = make_user("handler")
    client = Client()
    client.force_login(admin)
    html = client.get("/users/").content.decode()
    assert "员工账号" in html and "账号用命令 kesu user create 创建" in html
    html = client.post(f"/users/{target.username}/deactivate/", {"reason": "离职"}).content.decode()
    assert "您确定要停用" in html and "确认停用" in html


def test_an_unknown_or_out_of_scope_account_is_not_found(make_user, console):
    region_admin = make_user("admin", unit="EAST")
    south = make_user("handler", unit="S-S1")
    client = console(region_admin)
    for name in (south.username, "nobody"):
        assert client.get(f"/users/{name}/").status_code == 404
        assert client.post(f"/users/{name}/deactivate/", {"reason": "x", "confirm": "1"}).status_code == 404
    south.refresh_from_db()
    assert south.is_active is True
