"""``/api/v1/cases/{number}/related | merge | crisis`` (TR-5, TR-7): shapes, scope (404), roles (403)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kesu.cases.actions_links import do_link_related
from kesu.cases.models import Case, CaseCrisis, CaseEvent, CaseMerge
from kesu.customers.actions import CustomerInput
from kesu.org.models import User

pytestmark = pytest.mark.django_db

MOULD = "收到的茶叶包装破损，产品发霉了"


@pytest.fixture
def linked(make_case: Callable[..., Case]) -> dict[str, Case]:
    """An earlier case in S-E1, a duplicate of it in S-E1, a same-batch case in S-S1."""
    first = make_case(unit="S-E1", description=MOULD, received_at=timezone.now() - timedelta(days=1))
    south = make_case(unit="S-S1", description="茶叶有怪味",
                      customer=CustomerInput(name="李四", phone="13900002222"))
    dup = make_case(unit="S-E1", description=MOULD)
    do_link_related(dup, at=timezone.now())
    return {"first": first, "dup": dup, "south": south}


def test_related_lists_links_the_caller_may_see(
    linked: dict[str, Case], make_user: Callable[..., User], api_client: Any,
) -> None:
    first, dup, south = linked["first"], linked["dup"], linked["south"]
    hq = api_client(make_user("handler"))
    r = hq.get(f"/api/v1/cases/{dup.number}/related")
    assert r.status_code == 200
    data = r.json()
    assert [c["number"] for c in data["repeats"]] == [first.number]
    duplicates = [(c["number"], c["score"], c["later"]) for c in data["possible_duplicates"]]
    assert duplicates == [(first.number, 1.0, False)]
    assert {c["number"] for c in data["same_batch"]} == {first.number, south.number}
    assert (data["merged_into"], data["merged_from"], data["crisis"]) == (None, [], None)
    assert data["repeats"][0]["received_at"].endswith("Z")

    # The earlier case sees the later one from its side.
    back = hq.get(f"/api/v1/cases/{first.number}/related").json()
    assert [(c["number"], c["later"]) for c in back["repeats"]] == [(dup.number, True)]

    # A store user never sees the other store's case, not even as a link.
    store = api_client(make_user("handler", unit="S-E1"))
    data = store.get(f"/api/v1/cases/{dup.number}/related").json()
    assert {c["number"] for c in data["same_batch"]} == {first.number}
    r = store.get(f"/api/v1/cases/{south.number}/related")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_merge_through_the_api(
    linked: dict[str, Case], make_user: Callable[..., User], api_client: Any,
) -> None:
    first, dup = linked["first"], linked["dup"]
    handler = make_user("handler")
    r = api_client(handler).post(f"/api/v1/cases/{dup.number}/merge",
                                 {"into": first.number, "reason": "重复"})
    assert r.status_code == 200, r.content
    assert {k: r.json()[k] for k in ("duplicate", "kept", "by", "reason")} == {
        "duplicate": dup.number, "kept": first.number, "by": handler.username, "reason": "重复"}
    dup.refresh_from_db()
    assert dup.status == "rejected"
    kept_view = api_client(handler).get(f"/api/v1/cases/{first.number}/related").json()
    assert [c["number"] for c in kept_view["merged_from"]] == [dup.number]
    dup_view = api_client(handler).get(f"/api/v1/cases/{dup.number}/related").json()
    assert dup_view["merged_into"]["number"] == first.number


def test_merge_refusals_scope_role_self(
    linked: dict[str, Case], make_user: Callable[..., User], api_client: Any,
) -> None:
    first, dup, south = linked["first"], linked["dup"], linked["south"]
    events = CaseEvent.objects.count()
    store = api_client(make_user("handler", unit="S-E1"))
    r = store.post(f"/api/v1/cases/{dup.number}/merge", {"into": south.number})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    agent = api_client(make_user("intake_agent"))
    r = agent.post(f"/api/v1/cases/{dup.number}/merge", {"into": first.number})
    assert (r.status_code, r.json()["code"]) == (403, "merge_not_allowed")
    r = store.post(f"/api/v1/cases/{dup.number}/merge", {"into": dup.number})
    assert (r.status_code, r.json()["code"]) == (422, "merge_into_self")
    r = store.post(f"/api/v1/cases/{dup.number}/merge", {"reason": "x"})
    assert r.status_code == 422 and "into" in r.json()["fields"]
    assert CaseMerge.objects.count() == 0 and CaseEvent.objects.count() == events


def test_crisis_through_the_api(
    linked: dict[str, Case], make_user: Callable[..., User], api_client: Any,
) -> None:
    dup = linked["dup"]
    ceo = make_user("executive")
    handler = api_client(make_user("handler", unit="S-E1"))
    r = handler.post(f"/api/v1/cases/{dup.number}/crisis", {"reason": "顾客称已联系媒体"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["reason"], body["raised_by"], body["team"], body["resolved_at"]) == (
        "顾客称已联系媒体", handler.user.username, [ceo.username], None)
    assert handler.get(f"/api/v1/cases/{dup.number}/related").json()["crisis"]["reason"] == "顾客称已联系媒体"

    r = api_client(make_user("auditor")).post(f"/api/v1/cases/{dup.number}/crisis", {"reason": "x"})
    assert r.status_code == 403
    r = handler.post(f"/api/v1/cases/{dup.number}/crisis/resolve", {"note": "x"})
    assert (r.status_code, r.json()["code"]) == (403, "crisis_not_allowed")
    r = api_client(ceo).post(f"/api/v1/cases/{dup.number}/crisis/resolve", {"note": "已平息"})
    assert r.status_code == 200 and r.json()["resolution"] == "已平息"
    assert CaseCrisis.objects.get().resolved_by == ceo
