"""``/api/v1/users``: administrators list, deactivate and reactivate accounts in their scope."""

from __future__ import annotations

import pytest

from kesu.core.models import AuditEvent
from kesu.org.models import ApiToken, User

pytestmark = pytest.mark.django_db


def test_an_administrator_deactivates_and_reactivates_over_the_api(make_user, api_client, make_case):
    admin = api_client(make_user("admin"))
    leaver = make_user("handler", unit="S-E1")
    leaver_api = api_client(leaver)
    assert leaver_api.get("/api/v1/cases").status_code == 200

    r = admin.post(f"/api/v1/users/{leaver.username}/deactivate", {"reason": "已离职"})

    assert r.status_code == 200, r.content
    assert r.json() == {
        "user": {"username": leaver.username, "display_name": "", "role": "handler", "org_unit": "S-E1",
                 "department": None, "is_active": False, "open_cases_owned": 0},
        "tokens_revoked": 1, "sessions_ended": 0, "open_cases_owned": 0, "open_cases_coordinated": 0,
    }
    assert leaver_api.get("/api/v1/cases").status_code == 401
    assert User.objects.get(pk=leaver.pk).is_active is False
    listed = admin.get("/api/v1/users", {"state": "inactive"}).json()
    assert [u["username"] for u in listed["items"]] == [leaver.username] and listed["count"] == 1

    r = admin.client.generic("POST", f"/api/v1/users/{leaver.username}/deactivate")  # no body at all
    assert (r.status_code, r.json()["code"]) == (409, "already_inactive")

    r = admin.post(f"/api/v1/users/{leaver.username}/activate", {"reason": "返岗"})
    assert r.status_code == 200 and r.json()["user"]["is_active"] is True
    assert leaver_api.get("/api/v1/cases").status_code == 401  # the old token stays revoked
    assert AuditEvent.objects.get(type="user.reactivated").data == {"reason": "返岗"}


def test_refusals_keep_the_error_shape_and_change_nothing(make_user, api_client):
    admin_user = make_user("admin", unit="EAST")
    admin = api_client(admin_user)
    south = make_user("handler", unit="S-S1")
    handler = api_client(make_user("handler", unit="HQ"))
    count = AuditEvent.objects.count()

    r = admin.post(f"/api/v1/users/{south.username}/deactivate", {})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")  # outside the admin's region
    r = admin.post("/api/v1/users/nobody/deactivate", {})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = admin.post(f"/api/v1/users/{admin_user.username}/deactivate", {})
    assert (r.status_code, r.json()["code"]) == (403, "own_account")
    r = handler.post(f"/api/v1/users/{south.username}/deactivate", {})
    assert r.status_code == 403 and r.json()["code"] == "user_manage_not_allowed"
    assert r.json()["message"] == "只有系统管理员可以管理员工账号。"
    r = admin.get("/api/v1/users", {"state": "gone"})
    assert r.status_code == 422

    assert AuditEvent.objects.count() == count
    assert User.objects.filter(is_active=False).count() == 0
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 0


def test_the_list_shows_the_admins_scope_with_open_cases(make_user, api_client, make_case, org):
    from kesu.cases.actions_workflow import Assignment, do_assign_case
    from kesu.org.actions import do_create_department

    do_create_department(code="QA", name="质量部", kind="quality", org_unit=org["HQ"], actor=None)
    admin_user = make_user("admin", unit="EAST")
    handler = make_user("handler", unit="S-E1", department="QA")
    make_user("handler", unit="S-S1")
    do_assign_case(make_case(unit="S-E1"), Assignment(owner=handler.username), actor=admin_user)
    r = api_client(admin_user).get("/api/v1/users")
    assert r.status_code == 200
    assert [(u["username"], u["open_cases_owned"]) for u in r.json()["items"]] == [
        (admin_user.username, 0), (handler.username, 1)]
