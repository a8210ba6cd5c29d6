"""The console's related-cases card, merge confirmation and crisis buttons (TR-5, TR-7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kesu.cases.actions_links import do_flag_crisis, do_link_related
from kesu.cases.models import Case, CaseCrisis, CaseMerge
from kesu.conftest import english_client
from kesu.console.views_links import related_context
from kesu.customers.actions import CustomerInput
from kesu.org.models import User
from kesu.org.scope import visible_unit_ids

pytestmark = pytest.mark.django_db

MOULD = "收到的茶叶包装破损，产品发霉了"


def _login(user: User) -> Client:
    client = english_client()
    client.force_login(user)
    return client


@pytest.fixture
def linked(make_case: Callable[..., Case]) -> dict[str, Case]:
    first = make_case(unit="S-E1", description=MOULD, received_at=timezone.now() - timedelta(days=1))
    south = make_case(unit="S-S1", description="茶叶有怪味",
                      customer=CustomerInput(name="李四", phone="13900002222"))
    dup = make_case(unit="S-E1", description=MOULD)
    do_link_related(dup, at=timezone.now())
    return {"first": first, "dup": dup, "south": south}


def test_the_card_lists_what_the_user_may_see_and_offers_the_merge(
    linked: dict[str, Case], make_user: Callable[..., User],
) -> None:
    first, dup, south = linked["first"], linked["dup"], linked["south"]
    page = _login(make_user("handler")).get(f"/cases/{first.number}/related/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="duplicates"' in html and dup.number in html
    assert f'/cases/{first.number}/merge/{dup.number}/' in html
    assert "Flag as crisis" in html

    store = _login(make_user("handler", unit="S-E1")).get(f"/cases/{dup.number}/related/").content.decode()
    assert first.number in store and south.number not in store
    auditor = _login(make_user("auditor")).get(f"/cases/{first.number}/related/").content.decode()
    assert dup.number in auditor and "/merge/" not in auditor and "Flag as crisis" not in auditor


def test_related_context_costs_a_fixed_number_of_queries(
    linked: dict[str, Case], make_user: Callable[..., User], make_case: Callable[..., Case],
    django_assert_num_queries: Any,
) -> None:
    user = make_user("handler", unit="S-E1")
    visible_unit_ids(user)  # the scope is cached per unit for a minute; warm it as any page would
    with django_assert_num_queries(3):  # links, which of them are visible, the open crisis
        few = related_context(linked["dup"], user)
    for _ in range(4):
        do_link_related(make_case(unit="S-E1", description=MOULD), at=timezone.now())
    with django_assert_num_queries(3):
        many = related_context(linked["dup"], user)
    assert len(many["links"].same_batch) > len(few["links"].same_batch)


def test_merge_confirmation_and_merge(linked: dict[str, Case], make_user: Callable[..., User]) -> None:
    first, dup = linked["first"], linked["dup"]
    client = _login(make_user("handler"))
    url = f"/cases/{first.number}/merge/{dup.number}/"
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="merge-form"' in page.content.decode()
    assert CaseMerge.objects.count() == 0  # a GET changes nothing

    r = client.post(url, {"reason": "同一问题"})
    assert r.status_code == 302 and r["Location"] == f"/cases/{first.number}/"
    merge = CaseMerge.objects.get()
    assert (merge.duplicate, merge.kept, merge.reason) == (dup, first, "同一问题")
    card = client.get(f"/cases/{first.number}/related/").content.decode()
    assert 'data-testid="merged-from"' in card and dup.number in card

    again = client.post(url, {"reason": ""})
    assert again.status_code == 409 and 'data-testid="merge-refusal"' in again.content.decode()
    assert CaseMerge.objects.count() == 1


def test_merge_page_scope_and_role(linked: dict[str, Case], make_user: Callable[..., User]) -> None:
    first, dup, south = linked["first"], linked["dup"], linked["south"]
    store = _login(make_user("handler", unit="S-E1"))
    assert store.get(f"/cases/{first.number}/merge/{south.number}/").status_code == 404
    assert store.post(f"/cases/{south.number}/merge/{dup.number}/").status_code == 404
    agent = _login(make_user("intake_agent"))
    assert agent.post(f"/cases/{first.number}/merge/{dup.number}/").status_code == 403
    assert CaseMerge.objects.count() == 0


def test_flag_and_resolve_from_the_page(linked: dict[str, Case], make_user: Callable[..., User]) -> None:
    dup = linked["dup"]
    supervisor = make_user("cs_supervisor")
    handler = _login(make_user("handler", unit="S-E1"))
    assert handler.get(f"/cases/{dup.number}/crisis/").status_code == 405
    r = handler.post(f"/cases/{dup.number}/crisis/", {"reason": ""})
    assert r.status_code == 302 and CaseCrisis.objects.count() == 0
    r = handler.post(f"/cases/{dup.number}/crisis/", {"reason": "顾客受伤住院"})
    assert r.status_code == 302
    crisis = CaseCrisis.objects.get()
    assert list(crisis.team.all()) == [supervisor]

    card = handler.get(f"/cases/{dup.number}/related/").content.decode()
    assert 'data-testid="crisis-banner"' in card and "顾客受伤住院" in card and str(supervisor) in card
    assert "crisis-resolve-form" not in card  # a handler off the team cannot resolve
    assert handler.post(f"/cases/{dup.number}/crisis/resolve/", {"note": ""}).status_code == 403

    sup = _login(supervisor)
    assert "crisis-resolve-form" in sup.get(f"/cases/{dup.number}/related/").content.decode()
    assert sup.post(f"/cases/{dup.number}/crisis/resolve/", {"note": "已处理"}).status_code == 302
    crisis.refresh_from_db()
    assert crisis.resolution == "已处理" and crisis.resolved_by == supervisor


def test_triage_flag_shows_on_the_card(linked: dict[str, Case], make_user: Callable[..., User]) -> None:
    do_flag_crisis(linked["first"], reason="媒体曝光", actor=None)
    card = _login(make_user("handler")).get(f"/cases/{linked['first'].number}/related/").content.decode()
    assert "flagged by triage" in card and "媒体曝光" in card
