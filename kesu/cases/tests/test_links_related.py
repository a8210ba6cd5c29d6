"""Repeats, possible duplicates and same-batch links found at intake (TR-5): ``kesu.triage.related``
and ``do_link_related``, on the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kesu.cases.actions import ProductInput
from kesu.cases.actions_links import do_link_related, repeat_priority, repeat_reason
from kesu.cases.actions_workflow import do_transition_case
from kesu.cases.models import Case, CaseEvent, CaseLink, LinkSettings
from kesu.customers.actions import CustomerInput
from kesu.org.models import User
from kesu.triage.related import bigrams, find_related, repeat_count, similarity

pytestmark = pytest.mark.django_db

MOULD = "收到的茶叶包装破损，产品发霉了"
MOULD_AGAIN = "上次买的茶叶又发霉了，包装也破了"
COURIER = "快递员态度很差，送货晚了三天"
OTHER_CUSTOMER = CustomerInput(name="李四", phone="13900002222")


def _ago(days: float) -> Any:
    return timezone.now() - timedelta(days=days)


def _no_batch() -> ProductInput:
    return ProductInput(name="西湖龙井")


def _links(case: Case) -> set[tuple[str, str]]:
    rows = CaseLink.objects.filter(case=case).select_related("other")
    return {(link.other.number, link.kind) for link in rows}


def _types(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("type", flat=True))


def test_similarity_folds_forms_and_tells_issues_apart() -> None:
    assert similarity(MOULD, MOULD + "！！") == 1.0
    assert similarity(MOULD, "收到的茶叶包裝破損，產品發霉了") == 1.0  # traditional characters
    assert similarity(MOULD, MOULD_AGAIN) >= 0.3
    assert similarity(MOULD, COURIER) == 0.0
    # Function words alone ("收到的") do not make two complaints alike.
    assert similarity("收到的茶叶发霉了", "收到的快递盒子坏了") == 0.0
    assert bigrams("") == {} and bigrams("霉") == {"霉": 1}


def test_intake_links_a_similar_complaint_of_the_same_customer_as_a_repeat_and_raises_it(
    make_case: Callable[..., Case],
) -> None:
    first = make_case(description=MOULD, received_at=_ago(10), product=_no_batch())
    case = make_case(description=MOULD_AGAIN, product=_no_batch())
    assert case.customer_id == first.customer_id
    assert repeat_count(case) == 1

    assert _links(case) == {(first.number, "repeat")}
    case.refresh_from_db()
    assert case.priority == "important"
    linked = CaseEvent.objects.get(case=case, type="case.linked")
    assert linked.data["new"]["repeat_of"] == [first.number]
    assert linked.actor_id is None  # found by the system, not by the intake agent
    raised = CaseEvent.objects.filter(case=case, type="case.classified").get()
    assert raised.data == {"old": {"priority": ""}, "new": {"priority": "important"},
                           "reason": repeat_reason(1), "repeats": 1}
    assert _types(first) == ["case.created"]  # the earlier case's timeline is untouched
    assert _types(case).index("case.linked") > _types(case).index("case.created")


def test_no_repeat_outside_the_window_nor_for_another_issue_or_customer(
    make_case: Callable[..., Case],
) -> None:
    make_case(description=MOULD, received_at=_ago(31), product=_no_batch())
    make_case(description=COURIER, received_at=_ago(2), product=_no_batch())
    make_case(description=MOULD, received_at=_ago(2), customer=OTHER_CUSTOMER, product=_no_batch())
    case = make_case(description=MOULD_AGAIN, product=_no_batch())

    assert _links(case) == set() and "case.linked" not in _types(case)
    result = do_link_related(case, at=timezone.now())
    assert (result.related, result.created, result.priority) == ([], 0, None)
    case.refresh_from_db()
    assert case.priority == ""


def test_the_window_is_a_setting(make_case: Callable[..., Case]) -> None:
    first = make_case(description=MOULD, received_at=_ago(40), product=_no_batch())
    case = make_case(description=MOULD_AGAIN, product=_no_batch())
    assert find_related(case) == [] and _links(case) == set()
    LinkSettings.objects.create(pk=1, window_days=60)
    assert [(r.number, r.kind) for r in find_related(case)] == [(first.number, "repeat")]
    later = make_case(description=MOULD_AGAIN, product=_no_batch())
    assert (first.number, "repeat") in _links(later)


def test_a_very_similar_case_within_three_days_is_also_a_possible_duplicate(
    make_case: Callable[..., Case],
) -> None:
    old = make_case(description=MOULD, received_at=_ago(5), product=_no_batch())
    recent = make_case(description=MOULD, received_at=_ago(1), product=_no_batch())
    case = make_case(description=MOULD + "。", product=_no_batch())

    assert _links(case) == {(old.number, "repeat"), (recent.number, "repeat"),
                            (recent.number, "possible_duplicate")}
    linked = CaseEvent.objects.get(case=case, type="case.linked")
    assert linked.data["new"]["duplicate_of"] == [recent.number]
    assert {r.score for r in find_related(case)} == {1.0}


def test_same_batch_links_only_open_cases_of_that_batch(
    make_case: Callable[..., Case], make_user: Callable[..., User],
) -> None:
    handler = make_user("handler")
    other = dict(customer=OTHER_CUSTOMER, description=COURIER)
    open_case = make_case(**other)  # default batch B20260901
    rejected = make_case(**other)
    do_transition_case(rejected, "rejected", reason="不成立", actor=handler)
    make_case(**other, product=ProductInput(name="西湖龙井", batch="B99"))
    case = make_case(description="这一批的茶叶有异味",
                     customer=CustomerInput(name="王五", phone="13700003333"))

    assert _links(case) == {(open_case.number, "same_batch")}
    linked = CaseEvent.objects.get(case=case, type="case.linked")
    assert linked.data["new"]["same_batch_as"] == [open_case.number]
    case.refresh_from_db()
    assert case.priority == ""  # the same batch is not a repeat


def test_linking_again_adds_nothing_and_raises_the_priority_once(make_case: Callable[..., Case]) -> None:
    make_case(description=MOULD, received_at=_ago(3), product=_no_batch())
    case = make_case(description=MOULD_AGAIN, product=_no_batch())
    again = do_link_related(case, at=timezone.now())
    assert (again.created, again.repeats, again.priority) == (0, 0, None)
    assert len(again.related) == 1
    assert _types(case).count("case.linked") == 1 and _types(case).count("case.classified") == 1
    case.refresh_from_db()
    assert case.priority == "important"


def test_three_repeats_make_it_urgent_and_praise_is_never_raised(make_case: Callable[..., Case]) -> None:
    for days in (20, 10, 5):
        make_case(description=MOULD, received_at=_ago(days), product=_no_batch())
    case = make_case(description=MOULD_AGAIN, product=_no_batch())
    case.refresh_from_db()
    assert case.priority == "urgent"

    praise = make_case(kind="praise", description=MOULD_AGAIN, product=_no_batch())
    assert (find_related(praise), repeat_count(praise), _links(praise)) == ([], 0, set())
    praise.refresh_from_db()
    assert praise.priority == ""


def test_an_applied_priority_suggestion_already_counts_the_repeats(make_case: Callable[..., Case]) -> None:
    from kesu.triage.models import TriageSettings

    TriageSettings.objects.filter(pk=1).update(auto_apply=True, auto_apply_threshold=0.0)
    make_case(description=MOULD, received_at=_ago(3), product=_no_batch())
    case = make_case(description=MOULD_AGAIN, product=_no_batch())
    case.refresh_from_db()
    assert case.triage.state("priority") == "auto_applied"
    assert "case.classified" not in _types(case)  # no second raise on top of the suggestion
    assert _links(case) != set()


def test_the_priority_rule_matches_triage() -> None:
    assert [repeat_priority(p, 1) for p in ("", "general", "important", "urgent")] == [
        "important", "important", "urgent", "urgent"]
    assert repeat_priority("general", 3) == "urgent" and repeat_priority("important", 0) == "important"


def test_find_related_costs_the_same_queries_whatever_it_finds(
    make_case: Callable[..., Case], django_assert_num_queries: Any,
) -> None:
    make_case(description=MOULD, received_at=_ago(4))
    case = make_case(description=MOULD_AGAIN)
    with django_assert_num_queries(3):  # settings, the customer's cases, the batch
        assert len(find_related(case)) == 2
    for days in (3, 2, 1, 1, 1):
        make_case(description=MOULD, received_at=_ago(days))
    case = make_case(description=MOULD_AGAIN)
    with django_assert_num_queries(3):
        found = find_related(case)
    assert len([r for r in found if r.kind == "repeat"]) == 7
    assert len([r for r in found if r.kind == "same_batch"]) == 7


def test_the_candidate_and_batch_caps_hold(make_case: Callable[..., Case]) -> None:
    LinkSettings.objects.create(pk=1, max_candidates=2, max_batch_links=1)
    numbers = [make_case(description=MOULD, received_at=_ago(d)).number for d in (4, 3, 2)]
    case = make_case(description=MOULD_AGAIN)
    found = find_related(case)
    assert [r.number for r in found if r.kind == "repeat"] == [numbers[2], numbers[1]]
    assert [r.number for r in found if r.kind == "same_batch"] == [numbers[2]]
