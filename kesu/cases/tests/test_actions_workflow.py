"""Transitions, assignment and authority (WF-1 … WF-3) through the actions, on the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kesu.cases.actions import Classification
from kesu.cases.actions_workflow import Assignment, do_assign_case, do_transition_case, matching_rule
from kesu.cases.choices import Status
from kesu.cases.models import AuthorityLimit, Case, CaseEvent, Category, RoutingRule
from kesu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kesu.org.actions import do_create_department
from kesu.org.models import Department, OrgUnit, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def quality(org: dict[str, OrgUnit]) -> Department:
    return do_create_department(code="QA", name="质量部", kind="quality", org_unit=org["HQ"], actor=None)


@pytest.fixture
def logistics(org: dict[str, OrgUnit]) -> Department:
    return do_create_department(code="LOG", name="物流部", kind="logistics", org_unit=org["HQ"], actor=None)


def _events(case: Case, type: str) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, type=type).order_by("seq"))


def test_a_handler_moves_a_case_along_the_path_and_every_step_is_an_event(
    make_user: Callable[..., User], make_case: Callable[..., Case], quality: Department,
) -> None:
    agent = make_user("intake_agent")
    head = make_user("department_head", department="QA")
    handler = make_user("handler", department="QA")
    case = make_case(actor=agent)
    case = do_transition_case(case, Status.ACCEPTED, actor=agent)
    case = do_assign_case(case, Assignment(owner=handler.username), actor=agent)
    assert (case.status, case.owner, case.department) == (Status.ASSIGNED, handler, quality)
    for target, actor in [(Status.INVESTIGATING, handler), (Status.SOLUTION_PROPOSED, handler),
                          (Status.SOLUTION_APPROVED, head), (Status.IMPLEMENTING, handler),
                          (Status.REPLIED, agent), (Status.CALLBACK, agent), (Status.CLOSED, agent)]:
        case = do_transition_case(case, target, actor=actor, reason="")
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.intake_by == agent  # the first responder stays
    moves = [(e.data["old"]["status"], e.data["new"]["status"]) for e in _events(case, "case.status_changed")]
    assert moves[0] == ("new", "accepted") and moves[-1] == ("callback", "closed")
    assert len(moves) == 9
    assert _events(case, "case.status_changed")[-1].actor == agent


def test_an_illegal_move_is_refused_with_a_code_and_changes_nothing(
    make_user: Callable[..., User], make_case: Callable[..., Case],
) -> None:
    agent = make_user("intake_agent")
    case = make_case(actor=agent)
    before = case.event_count
    with pytest.raises(Conflict) as exc:
        do_transition_case(case, Status.CLOSED, actor=agent)
    assert exc.value.code == "illegal_transition"
    assert "新建" in str(exc.value.message) or "New" in str(exc.value.message)
    with pytest.raises(ValidationFailed) as unknown:
        do_transition_case(case, "done", actor=agent)
    assert unknown.value.code == "unknown_status"
    case.refresh_from_db()
    assert (case.status, case.event_count) == (Status.NEW, before)


def test_a_role_outside_the_move_is_refused_and_told_who_can(
    make_user: Callable[..., User], make_case: Callable[..., Case],
) -> None:
    case = make_case()
    auditor = make_user("auditor")
    with pytest.raises(Forbidden) as exc:
        do_transition_case(case, Status.ACCEPTED, actor=auditor)
    assert exc.value.code == "transition_not_allowed"
    case.refresh_from_db()
    assert case.status == Status.NEW


def test_a_store_user_cannot_move_another_stores_case(
    make_user: Callable[..., User], make_case: Callable[..., Case],
) -> None:
    case = make_case(unit="S-S1")
    other = make_user("handler", unit="S-E1")
    with pytest.raises(NotFound):
        do_transition_case(case, Status.ACCEPTED, actor=other)
    assert Case.objects.get(pk=case.pk).status == Status.NEW


def test_rejecting_needs_a_reason_and_records_it(
    make_user: Callable[..., User], make_case: Callable[..., Case],
) -> None:
    handler = make_user("handler")
    case = make_case()
    with pytest.raises(ValidationFailed) as exc:
        do_transition_case(case, Status.REJECTED, actor=handler, reason="  ")
    assert exc.value.code == "reason_required" and "reason" in exc.value.fields
    do_transition_case(case, Status.REJECTED, actor=handler, reason="顾客描述的情况与事实不符")
    event = _events(case, "case.status_changed")[-1]
    assert event.data["reason"] == "顾客描述的情况与事实不符"


def test_awaiting_information_returns_to_where_the_case_was(
    make_user: Callable[..., User], make_case: Callable[..., Case], quality: Department,
) -> None:
    handler = make_user("handler", department="QA")
    case = make_case()
    case = do_assign_case(case, Assignment(owner=handler.username), actor=handler)
    case = do_transition_case(case, Status.INVESTIGATING, actor=handler)
    case = do_transition_case(case, Status.AWAITING_INFO, actor=handler, reason="请顾客提供批号照片")
    assert case.resume_status == Status.INVESTIGATING
    with pytest.raises(Conflict):
        do_transition_case(case, Status.CLOSED, actor=handler)
    case = do_transition_case(case, Status.INVESTIGATING, actor=handler)
    assert (case.status, case.resume_status) == (Status.INVESTIGATING, "")


def test_the_same_move_twice_is_harmless(
    make_user: Callable[..., User], make_case: Callable[..., Case],
) -> None:
    agent = make_user("intake_agent")
    case = make_case()
    do_transition_case(case, Status.ACCEPTED, actor=agent)
    count = Case.objects.get(pk=case.pk).event_count
    do_transition_case(case, Status.ACCEPTED, actor=agent)
    assert Case.objects.get(pk=case.pk).event_count == count


def test_approval_beyond_the_authority_limit_is_refused_naming_who_can(
    make_user: Callable[..., User], make_case: Callable[..., Case], quality: Department,
) -> None:
    AuthorityLimit.objects.update_or_create(role="department_head", defaults={"max_severity": "major"})
    AuthorityLimit.objects.update_or_create(role="executive", defaults={"max_severity": "special"})
    handler = make_user("handler", department="QA")
    head = make_user("department_head", department="QA")
    executive = make_user("executive")
    case = make_case(classification=Classification(severity="serious"))
    case = do_assign_case(case, Assignment(owner=handler.username), actor=handler)
    case = do_transition_case(case, Status.INVESTIGATING, actor=handler)
    case = do_transition_case(case, Status.SOLUTION_PROPOSED, actor=handler)
    with pytest.raises(Forbidden) as exc:
        do_transition_case(case, Status.SOLUTION_APPROVED, actor=head)
    assert exc.value.code == "beyond_authority"
    assert "高层管理者" in str(exc.value.message)
    assert Case.objects.get(pk=case.pk).status == Status.SOLUTION_PROPOSED
    case = do_transition_case(case, Status.SOLUTION_APPROVED, actor=executive)
    assert case.status == Status.SOLUTION_APPROVED


def test_routing_rules_pick_the_department_and_the_least_loaded_member(
    make_user: Callable[..., User], make_case: Callable[..., Case], quality: Department,
    logistics: Department, org: dict[str, OrgUnit],
) -> None:
    RoutingRule.objects.create(name="物流", position=1, category=Category.objects.get(code="delivery"),
                               department=logistics)
    RoutingRule.objects.create(name="其余质量", position=9, department=quality, kind="complaint")
    busy = make_user("handler", department="QA")
    free = make_user("handler", department="QA")
    agent = make_user("intake_agent")
    do_assign_case(make_case(), Assignment(owner=busy.username), actor=agent)
    case = make_case()
    assert matching_rule(case).department == quality  # type: ignore[union-attr]
    case = do_assign_case(case, Assignment(), actor=agent)
    assert (case.department, case.owner) == (quality, free)
    event = _events(case, "case.assigned")[-1]
    assert event.data["new"] == {"department": "QA", "owner": free.username, "coordinator": None}
    assert event.data["method"] == "least_open"
    courier = make_user("handler", department="LOG")
    delivery_case = make_case(classification=Classification(category="delivery"))
    assert do_assign_case(delivery_case, Assignment(), actor=agent).owner == courier


def test_round_robin_takes_turns(
    make_user: Callable[..., User], make_case: Callable[..., Case], quality: Department,
) -> None:
    RoutingRule.objects.create(name="质量", department=quality, method="round_robin")
    members = [make_user("handler", department="QA") for _ in range(3)]
    agent = make_user("intake_agent")
    owners = [do_assign_case(make_case(), Assignment(), actor=agent).owner for _ in range(6)]
    assert owners == members + members


def test_no_rule_and_no_choice_is_a_clear_error(
    make_user: Callable[..., User], make_case: Callable[..., Case],
) -> None:
    agent = make_user("intake_agent")
    case = make_case()
    with pytest.raises(ValidationFailed) as exc:
        do_assign_case(case, Assignment(), actor=agent)
    assert exc.value.code == "no_routing_rule"
    assert Case.objects.get(pk=case.pk).owner is None


def test_reassignment_needs_a_reason_and_keeps_the_first_responder(
    make_user: Callable[..., User], make_case: Callable[..., Case], quality: Department,
) -> None:
    agent = make_user("intake_agent")
    first, second = make_user("handler", department="QA"), make_user("handler", department="QA")
    case = do_assign_case(make_case(actor=agent), Assignment(owner=first.username), actor=agent)
    with pytest.raises(ValidationFailed):
        do_assign_case(case, Assignment(owner=second.username), actor=agent)
    case = do_assign_case(case, Assignment(owner=second.username, reason="原处理人休假"), actor=agent)
    assert (case.owner, case.intake_by) == (second, agent)
    assert _events(case, "case.assigned")[-1].data["reason"] == "原处理人休假"


def test_an_owner_must_be_able_to_see_the_case(
    make_user: Callable[..., User], make_case: Callable[..., Case], quality: Department,
) -> None:
    agent = make_user("intake_agent")
    far_away = make_user("handler", unit="S-S1")
    case = make_case(unit="S-E1")
    with pytest.raises(ValidationFailed) as exc:
        do_assign_case(case, Assignment(owner=far_away.username), actor=agent)
    assert "owner" in exc.value.fields
    assert Case.objects.get(pk=case.pk).owner is None


def _api_case(api_client: Callable[[User], Any], user: User, number: str) -> dict[str, Any]:
    response = api_client(user).get(f"/api/v1/cases/{number}")
    assert response.status_code == 200
    return dict(response.json())


def test_api_transitions_return_the_case_or_a_coded_error(
    make_user: Callable[..., User], make_case: Callable[..., Case], api_client: Callable[[User], Any],
    quality: Department,
) -> None:
    agent = make_user("intake_agent")
    handler = make_user("handler", department="QA")
    case = make_case()
    client = api_client(agent)
    bad = client.post(f"/api/v1/cases/{case.number}/transitions", {"to": "closed"})
    assert bad.status_code == 409 and bad.json()["code"] == "illegal_transition"
    ok = client.post(f"/api/v1/cases/{case.number}/transitions", {"to": "accepted", "reason": "已受理"})
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    assigned = client.post(f"/api/v1/cases/{case.number}/assignment", {"owner": handler.username})
    body = assigned.json()
    assert (body["status"], body["owner"], body["department"]) == ("assigned", handler.username, "QA")
    assert body["first_responder"] is None
    seen = _api_case(api_client, handler, case.number)
    assert "investigating" in seen["allowed_transitions"]
    assert {c["name"] for c in seen["clocks"]} >= {"handling", "reply"}
    english = client.post(f"/api/v1/cases/{case.number}/transitions", {"to": "archived"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["message"].startswith("A case in status Assigned cannot move")


def test_api_views_list_my_department_and_unassigned_cases(
    make_user: Callable[..., User], make_case: Callable[..., Case], api_client: Callable[[User], Any],
    quality: Department,
) -> None:
    handler = make_user("handler", department="QA")
    mine = do_assign_case(make_case(), Assignment(owner=handler.username), actor=handler)
    loose = make_case()
    client = api_client(handler)
    numbers = lambda view: {c["number"] for c in client.get("/api/v1/cases", {"view": view}).json()["items"]}  # noqa: E731
    assert numbers("mine") == {mine.number}
    assert numbers("department") == {mine.number}
    assert numbers("unassigned") == {loose.number}


def test_a_major_complaint_received_before_national_day_is_due_after_the_holidays(
    make_user: Callable[..., User], api_client: Callable[[User], Any],
) -> None:
    """Issue 3, done-when: the defaults of ``kesu init`` give this exact handling deadline."""
    agent = make_user("intake_agent")
    created = api_client(agent).post("/api/v1/cases", {
        "kind": "complaint", "channel": "api", "description": "牛奶喝了以后拉肚子", "org_unit": "HQ",
        "severity": "major", "received_at": "2026-09-30T16:00:00+08:00",
        "customer": {"name": "王女士", "phone": "13800002222"}, "product": {"name": "纯牛奶"},
        "demands": ["refund"],
    })
    assert created.status_code == 201, created.content
    body = _api_case(api_client, agent, created.json()["number"])
    clocks = {c["name"]: c for c in body["clocks"]}
    assert clocks["handling"]["due_at"] == "2026-10-09T08:00:00Z"  # 16:00 in Beijing
    assert clocks["handling"]["state"] in ("running", "breached")
