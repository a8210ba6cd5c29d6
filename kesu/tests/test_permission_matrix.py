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
