"""Every role × org scope × endpoint (SE-2): what is shown, and that denied writes change nothing.

The expected visibility is written out by hand (VISIBLE) rather than computed with the scope
code, so a bug in ``kesu.org.scope`` cannot hide itself.
"""

from __future__ import annotations

import itertools

import pytest

from kesu.cases.models import Case, CaseEvent
from kesu.org.choices import Role
from kesu.org.roles import Cap, has_cap

#: Which cases (by the store they belong to) a user placed at each unit may see.
VISIBLE = {
    "HQ": {"S-E1", "S-E2", "S-S1"},
    "EAST": {"S-E1", "S-E2"},
    "SOUTH": {"S-S1"},
    "S-E1": {"S-E1"},
    "S-E2": {"S-E2"},  # the franchise store sees only its own
}
STORES = ["S-E1", "S-E2", "S-S1"]
PHONE = "13912345678"

MATRIX = list(itertools.product(Role.values, VISIBLE))


@pytest.fixture
def cases(make_case) -> dict[str, Case]:
    from kesu.customers.actions import CustomerInput

    return {s: make_case(unit=s, customer=CustomerInput(name="李四", phone=PHONE)) for s in STORES}


def _ids(role: str, unit: str) -> str:
    return f"{role}@{unit}"


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "unit"), MATRIX, ids=[_ids(*m) for m in MATRIX])
def test_api_read_endpoints(role: str, unit: str, make_user, api_client, cases) -> None:
    client = api_client(make_user(role, unit=unit))
    listed = client.get("/api/v1/cases").json()
    expected = {cases[s].number for s in VISIBLE[unit]}
    assert {c["number"] for c in listed["items"]} == expected
    assert listed["count"] == len(expected)
    for store, case in cases.items():
        r = client.get(f"/api/v1/cases/{case.number}")
        if store in VISIBLE[unit]:
            assert r.status_code == 200
            phone = r.json()["customer"]["phone"]
            assert phone == (PHONE if has_cap(role, Cap.CONTACT_VIEW) else "139****5678")
        else:
            assert r.status_code == 404
            assert r.json()["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "unit"), MATRIX, ids=[_ids(*m) for m in MATRIX])
def test_api_create(role: str, unit: str, make_user, api_client, cases) -> None:
    client = api_client(make_user(role, unit=unit))
    for store in STORES:
        before = Case.objects.count()
        r = client.post("/api/v1/cases", {
            "kind": "complaint", "channel": "api", "description": "奶粉结块", "org_unit": store,
        })
        allowed = has_cap(role, Cap.CASE_CREATE) and store in VISIBLE[unit]
        if allowed:
            assert r.status_code == 201, r.content
            assert Case.objects.count() == before + 1
        else:
            assert r.status_code in (403, 422)
            assert Case.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "unit"), MATRIX, ids=[_ids(*m) for m in MATRIX])
def test_api_classify(role: str, unit: str, make_user, api_client, cases) -> None:
    client = api_client(make_user(role, unit=unit))
    for store, case in cases.items():
        events_before = CaseEvent.objects.filter(case=case).count()
        r = client.put(f"/api/v1/cases/{case.number}/classification", {"severity": "major"})
        case.refresh_from_db()
        if store not in VISIBLE[unit]:
            assert r.status_code == 404
        elif has_cap(role, Cap.CASE_CLASSIFY):
            assert r.status_code == 200
            assert case.severity == "major"
            continue
        else:
            assert r.status_code == 403
        assert case.severity == ""
        assert CaseEvent.objects.filter(case=case).count() == events_before


# --- console pages ------------------------------------------------------------------------

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
       b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
       b"\x00IEND\xaeB`\x82")


def _console(user):  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def attachments(cases, org) -> dict[str, int]:
    """One attachment per case, added by an administrator."""
    import io

    from kesu.cases.actions import do_add_attachment
    from kesu.cases.attachments import check_upload
    from kesu.org.models import User

    admin = User.objects.get(username="admin")
    out = {}
    for store, case in cases.items():
        checked = check_upload(io.BytesIO(PNG + store.encode()), "photo.png")
        att = do_add_attachment(case, checked, actor=admin)
        assert att is not None
        out[store] = att.pk
    return out


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "unit"), MATRIX, ids=[_ids(*m) for m in MATRIX])
def test_console_reads(role: str, unit: str, make_user, cases, attachments) -> None:
    client = _console(make_user(role, unit=unit))
    listing = client.get("/cases/").content.decode()
    for store, case in cases.items():
        visible = store in VISIBLE[unit]
        assert (case.number in listing) is visible
        detail = client.get(f"/cases/{case.number}/")
        download = client.get(f"/cases/{case.number}/attachments/{attachments[store]}/")
        if visible:
            assert detail.status_code == download.status_code == 200
            assert (PHONE in detail.content.decode()) is has_cap(role, Cap.CONTACT_VIEW)
            assert b"".join(download.streaming_content).endswith(store.encode())
        else:
            assert detail.status_code == download.status_code == 404
    customer_id = cases["S-E1"].customer_id
    profile = client.get(f"/customers/{customer_id}/").content.decode()
    for store, case in cases.items():
        assert (case.number in profile) is (store in VISIBLE[unit])
    assert (PHONE in profile) is has_cap(role, Cap.CONTACT_VIEW)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "unit"), MATRIX, ids=[_ids(*m) for m in MATRIX])
def test_console_writes(role: str, unit: str, make_user, cases) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kesu.cases.models import Attachment

    client = _console(make_user(role, unit=unit))
    for store, case in cases.items():
        visible = store in VISIBLE[unit]
        events = CaseEvent.objects.filter(case=case).count()
        r = client.post(f"/cases/{case.number}/classify/", {"severity": "minor"})
        case.refresh_from_db()
        if visible and has_cap(role, Cap.CASE_CLASSIFY):
            assert r.status_code == 302 and case.severity == "minor"
        else:
            assert r.status_code == (404 if not visible else 403)
            assert case.severity == "" and CaseEvent.objects.filter(case=case).count() == events
        upload = SimpleUploadedFile("p.png", PNG + role.encode(), content_type="image/png")
        r = client.post(f"/cases/{case.number}/attachments/", {"attachments": [upload]})
        count = Attachment.objects.filter(case=case).count()
        if visible and has_cap(role, Cap.CASE_ATTACH):
            assert r.status_code == 302 and count == 1
        else:
            assert r.status_code == (404 if not visible else 403) and count == 0
    for store in STORES:
        before = Case.objects.count()
        r = client.post("/cases/new/", {
            "submit_key": f"k-{role}-{unit}-{store}", "channel": "phone", "kind": "complaint",
            "description": "酸奶胀袋", "org_unit": store, "customer_level": "normal",
            "customer_type": "consumer",
        })
        if has_cap(role, Cap.CASE_CREATE) and store in VISIBLE[unit]:
            assert r.status_code == 302, r.content.decode()[:500]
            assert Case.objects.count() == before + 1
        else:
            assert r.status_code in (403, 422)
            assert Case.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_console_import_pages(role: str, make_user) -> None:
    client = _console(make_user(role, unit="HQ"))
    r = client.get("/imports/new/")
    assert r.status_code == (200 if has_cap(role, Cap.IMPORT) else 403)


# --- workflow (WF-1, WF-5) ------------------------------------------------------------------

def _may_accept(role: str) -> bool:
    from kesu.cases.workflow import TABLE

    return role in TABLE[("new", "accepted")].roles


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "unit"), MATRIX, ids=[_ids(*m) for m in MATRIX])
def test_api_workflow_writes(role: str, unit: str, make_user, api_client, cases) -> None:
    from kesu.cases.models import CaseMessage

    client = api_client(make_user(role, unit=unit))
    for store, case in cases.items():
        visible = store in VISIBLE[unit]
        events = CaseEvent.objects.filter(case=case).count()
        r = client.post(f"/api/v1/cases/{case.number}/transitions", {"to": "accepted"})
        m = client.post(f"/api/v1/cases/{case.number}/messages",
                        {"kind": "note", "direction": "internal", "body": "已电话联系顾客"})
        case.refresh_from_db()
        wrote = CaseMessage.objects.filter(case=case).count()
        if not visible:
            assert (r.status_code, m.status_code) == (404, 404)
        else:
            assert r.status_code == (200 if _may_accept(role) else 403), r.content
            assert m.status_code == (201 if has_cap(role, Cap.CASE_ATTACH) else 403), m.content
        assert case.status == ("accepted" if visible and _may_accept(role) else "new")
        assert wrote == (1 if visible and has_cap(role, Cap.CASE_ATTACH) else 0)
        if case.status == "new" and not wrote:
            assert CaseEvent.objects.filter(case=case).count() == events


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "unit"), MATRIX, ids=[_ids(*m) for m in MATRIX])
def test_console_workflow_writes(role: str, unit: str, make_user, cases) -> None:
    from kesu.cases.models import CaseMessage

    client = _console(make_user(role, unit=unit))
    for store, case in cases.items():
        visible = store in VISIBLE[unit]
        r = client.post(f"/cases/{case.number}/transition/", {"to": "accepted"})
        m = client.post(f"/cases/{case.number}/messages/",
                        {"kind": "call", "direction": "outbound", "body": "已回电"})
        case.refresh_from_db()
        if not visible:
            assert (r.status_code, m.status_code) == (404, 404)
        else:
            assert r.status_code == (302 if _may_accept(role) else 422)
            assert m.status_code == (302 if has_cap(role, Cap.CASE_ATTACH) else 422)
        assert case.status == ("accepted" if visible and _may_accept(role) else "new")
        assert CaseMessage.objects.filter(case=case).count() == (
            1 if visible and has_cap(role, Cap.CASE_ATTACH) else 0)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "unit"), MATRIX, ids=[_ids(*m) for m in MATRIX])
def test_api_attachments(role: str, unit: str, make_user, api_client, cases, attachments) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kesu.cases.models import Attachment

    client = api_client(make_user(role, unit=unit))
    for store, case in cases.items():
        visible = store in VISIBLE[unit]
        base = f"/api/v1/cases/{case.number}/attachments"
        listed, download = client.get(base), client.get(f"{base}/{attachments[store]}")
        if visible:
            assert listed.status_code == download.status_code == 200
            assert [a["id"] for a in listed.json()] == [attachments[store]]
            assert b"".join(download.streaming_content).endswith(store.encode())
        else:
            assert listed.status_code == download.status_code == 404
        events = CaseEvent.objects.filter(case=case).count()
        upload = SimpleUploadedFile("p.png", PNG + role.encode(), content_type="image/png")
        r = client.client.post(base, {"files": [upload]})
        count = Attachment.objects.filter(case=case).count()
        if visible and has_cap(role, Cap.CASE_ATTACH):
            assert r.status_code == 201 and count == 2
        else:
            assert r.status_code == (404 if not visible else 403)
            assert count == 1 and CaseEvent.objects.filter(case=case).count() == events


# --- staff accounts (SE-2): list, deactivate, reactivate -------------------------------------

@pytest.fixture
def staff(make_user) -> dict[str, object]:
    """One handler per store, the accounts an administrator might deactivate."""
    return {s: make_user("handler", unit=s) for s in STORES}


def _account_state(user) -> tuple[bool, int]:  # type: ignore[no-untyped-def]
    from kesu.core.models import AuditEvent

    user.refresh_from_db()
    return user.is_active, AuditEvent.objects.filter(object_type="user", object_id=user.username).count()


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "unit"), MATRIX, ids=[_ids(*m) for m in MATRIX])
def test_api_user_accounts(role: str, unit: str, make_user, api_client, staff) -> None:
    client = api_client(make_user(role, unit=unit))
    manages = has_cap(role, Cap.USER_MANAGE)
    listed = client.get("/api/v1/users", {"state": "all"})
    if manages:
        names = {u["username"] for u in listed.json()["items"]}
        assert names & {u.username for u in staff.values()} == {staff[s].username for s in VISIBLE[unit]}
    else:
        assert listed.status_code == 403
    for store, user in staff.items():
        before = _account_state(user)
        r = client.post(f"/api/v1/users/{user.username}/deactivate", {"reason": "matrix"})
        if manages and store in VISIBLE[unit]:
            assert r.status_code == 200 and _account_state(user)[0] is False
            assert client.post(f"/api/v1/users/{user.username}/activate", {}).status_code == 200
            assert _account_state(user) == (True, before[1] + 2)
        else:
            assert r.status_code == (404 if manages else 403)
            assert client.post(f"/api/v1/users/{user.username}/activate", {}).status_code == (
                404 if manages else 403)
            assert _account_state(user) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "unit"), MATRIX, ids=[_ids(*m) for m in MATRIX])
def test_console_user_accounts(role: str, unit: str, make_user, staff) -> None:
    client = _console(make_user(role, unit=unit))
    manages = has_cap(role, Cap.USER_MANAGE)
    listing = client.get("/users/", {"state": "all"})
    assert listing.status_code == (200 if manages else 403)
    for store, user in staff.items():
        visible = manages and store in VISIBLE[unit]
        assert (user.username in listing.content.decode()) is visible
        before = _account_state(user)
        detail = client.get(f"/users/{user.username}/")
        r = client.post(f"/users/{user.username}/deactivate/", {"reason": "matrix", "confirm": "1"})
        if visible:
            assert (detail.status_code, r.status_code) == (200, 302)
            assert _account_state(user)[0] is False
            assert client.post(f"/users/{user.username}/activate/", {"confirm": "1"}).status_code == 302
            assert _account_state(user) == (True, before[1] + 2)
        else:
            assert detail.status_code == r.status_code == (404 if manages else 403)
            assert _account_state(user) == before
