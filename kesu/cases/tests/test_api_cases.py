"""The /api/v1/cases contract: create, idempotent retry, get, list, errors, scope."""

from __future__ import annotations

from typing import Any

import pytest

from kesu.cases.models import Case, CaseEvent
from kesu.customers.models import Customer

BODY: dict[str, Any] = {
    "kind": "complaint",
    "channel": "api",
    "title": "包装破损",
    "description": "收到的产品发霉了，包装也破了",
    "customer": {"name": "张三", "phone": "138-0000-1111", "level": "vip", "type": "consumer"},
    "product": {"name": "绿茶", "batch": "B2026", "quantity": 10, "defective_quantity": 2},
    "demands": ["refund", "apology"],
    "org_unit": "HQ",
    "received_at": "2026-09-30T16:00:00+08:00",
    "severity": "major",
    "category": "packaging",
}


@pytest.mark.django_db
def test_create_returns_201_with_number_and_writes_event(make_user, api_client):
    client = api_client(make_user("intake_agent"))
    r = client.post("/api/v1/cases", BODY)
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["number"] == "KS-202609-00001"
    assert data["status"] == "new"
    assert data["received_at"].startswith("2026-09-30T08:00:00")
    assert data["category"] == "packaging"
    assert data["customer"]["phone"] == "138-0000-1111"
    case = Case.objects.get(number="KS-202609-00001")
    assert case.customer is not None and case.customer.phone_key == "13800001111"
    assert case.demands == ["refund", "apology"]
    assert list(CaseEvent.objects.filter(case=case).values_list("type", flat=True)) == ["case.created"]


@pytest.mark.django_db
def test_idempotency_key_replays_the_same_case(make_user, api_client):
    client = api_client(make_user("intake_agent"))
    first = client.post("/api/v1/cases", BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/cases", BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    assert Case.objects.count() == 1
    other = client.post("/api/v1/cases", {**BODY, "title": "别的"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_numbers_are_serial_per_month(make_user, api_client):
    client = api_client(make_user("intake_agent"))
    numbers = [client.post("/api/v1/cases", {**BODY, "received_at": at}).json()["number"]
               for at in ("2026-09-30T16:00:00+08:00", "2026-10-01T00:30:00+08:00",
                          "2026-09-01T09:00:00+08:00", "2026-10-02T09:00:00+08:00")]
    assert numbers == ["KS-202609-00001", "KS-202610-00001", "KS-202609-00002", "KS-202610-00002"]


@pytest.mark.django_db
def test_missing_fields_put_case_in_awaiting_info(make_user, api_client):
    client = api_client(make_user("intake_agent"))
    r = client.post("/api/v1/cases", {"kind": "complaint", "channel": "api",
                                      "description": "东西坏了", "org_unit": "HQ"})
    assert r.status_code == 201
    assert r.json()["status"] == "awaiting_info"
    assert r.json()["missing_fields"] == ["customer_contact", "product_name", "demands"]
    assert r.json()["title"] == "东西坏了"


@pytest.mark.django_db
def test_bad_input_gets_coded_translated_error_and_writes_nothing(make_user, api_client):
    client = api_client(make_user("intake_agent"))
    r = client.post("/api/v1/cases", {**BODY, "kind": "rant", "severity": "huge", "org_unit": "NOPE"},
                    HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation_failed"
    assert set(body["fields"]) == {"kind", "severity", "org_unit"}
    assert Case.objects.count() == 0 and Customer.objects.count() == 0


@pytest.mark.django_db
def test_no_token_is_401(db):
    from django.test import Client

    r = Client().get("/api/v1/cases")
    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated"


@pytest.mark.django_db
def test_out_of_scope_case_is_404_like_a_missing_one(make_user, api_client, make_case):
    case = make_case(unit="S-S1")
    store_user = api_client(make_user("handler", unit="S-E1"))
    r = store_user.get(f"/api/v1/cases/{case.number}")
    missing = store_user.get("/api/v1/cases/KS-209901-00001")
    assert r.status_code == missing.status_code == 404
    assert r.json() == missing.json()
    region = api_client(make_user("handler", unit="SOUTH"))
    assert region.get(f"/api/v1/cases/{case.number}").status_code == 200


@pytest.mark.django_db
def test_list_filters_and_search(make_user, api_client, make_case):
    make_case(description="产品发霉了，很生气")
    make_case(description="快递太慢", title="快递慢", kind="complaint")
    make_case(description="服务挺好", title="表扬", kind="praise", demands=[])
    client = api_client(make_user("cs_supervisor"))
    r = client.get("/api/v1/cases", {"q": "发霉"})
    assert r.json()["count"] == 1
    assert r.json()["items"][0]["description"] == "产品发霉了，很生气"
    assert client.get("/api/v1/cases", {"kind": "praise"}).json()["count"] == 1
    assert client.get("/api/v1/cases").json()["count"] == 3


@pytest.mark.django_db
def test_a_search_counts_up_to_a_smaller_cap_than_a_plain_list(make_user, api_client, make_case, monkeypatch):
    """ADR 0002: past its cap a list says "more than N"; a text search stops counting sooner."""
    from kesu.cases import queries

    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 2)
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    for _ in range(4):
        make_case(description="产品发霉了")
    client = api_client(make_user("cs_supervisor"))

    search = client.get("/api/v1/cases", {"q": "发霉"}).json()
    plain = client.get("/api/v1/cases").json()
    exact = client.get("/api/v1/cases", {"q": "发霉", "exact_count": "true"}).json()

    assert (search["count"], search["count_exact"], len(search["items"])) == (2, False, 4)
    assert (plain["count"], plain["count_exact"]) == (3, False)
    assert (exact["count"], exact["count_exact"]) == (4, True)
