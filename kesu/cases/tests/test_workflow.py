"""The transition table of WF-1 (pure, no database)."""

from itertools import pairwise

from kesu.cases.choices import Status as S
from kesu.cases.workflow import TABLE, allowed_targets, move_for
from kesu.org.choices import Role as R

HAPPY_PATH = [S.NEW, S.ACCEPTED, S.ASSIGNED, S.INVESTIGATING, S.SOLUTION_PROPOSED, S.SOLUTION_APPROVED,
              S.IMPLEMENTING, S.REPLIED, S.CALLBACK, S.CLOSED, S.ARCHIVED]


def test_the_main_path_of_wf1_is_allowed_step_by_step() -> None:
    for source, target in pairwise(HAPPY_PATH):
        assert (source, target) in TABLE, (source, target)


def test_skipping_steps_and_going_backwards_are_refused() -> None:
    assert move_for(S.NEW, S.CLOSED) is None
    assert move_for(S.ASSIGNED, S.REPLIED) is None
    assert move_for(S.CLOSED, S.INVESTIGATING) is None
    assert move_for(S.ARCHIVED, S.REOPENED) is None
    assert move_for(S.NEW, S.NEW) is None


def test_every_state_is_reachable_and_only_archived_is_a_dead_end() -> None:
    targets = {t for _, t in TABLE}
    assert set(S.values) - {S.NEW} <= targets
    sources = {s for s, _ in TABLE} | {S.AWAITING_INFO, S.ESCALATED}
    assert set(S.values) - sources == {S.ARCHIVED}


def test_rejecting_reopening_and_detours_need_a_reason() -> None:
    for target in (S.REJECTED, S.REOPENED, S.AWAITING_INFO, S.ESCALATED):
        moves = [m for (_, t), m in TABLE.items() if t == target]
        assert moves and all(m.needs_reason for m in moves), target
    assert not TABLE[(S.NEW, S.ACCEPTED)].needs_reason


def test_a_detour_returns_to_where_the_case_was_or_onwards_from_there() -> None:
    assert move_for(S.AWAITING_INFO, S.INVESTIGATING, resume_status=S.INVESTIGATING) is not None
    onward = move_for(S.AWAITING_INFO, S.SOLUTION_PROPOSED, resume_status=S.INVESTIGATING)
    assert onward is not None and R.HANDLER in onward.roles
    assert move_for(S.AWAITING_INFO, S.CLOSED, resume_status=S.INVESTIGATING) is None
    assert move_for(S.ESCALATED, S.AWAITING_INFO, resume_status=S.ASSIGNED) is None
    assert move_for(S.AWAITING_INFO, S.NEW, resume_status="") is None


def test_roles_decide_who_may_make_a_move() -> None:
    assert S.SOLUTION_APPROVED in allowed_targets(S.SOLUTION_PROPOSED, R.DEPARTMENT_HEAD)
    assert S.SOLUTION_APPROVED not in allowed_targets(S.SOLUTION_PROPOSED, R.HANDLER)
    assert allowed_targets(S.NEW, R.AUDITOR) == []
    assert allowed_targets(S.NEW, R.EXECUTIVE) == [S.REJECTED]
    assert S.ARCHIVED in allowed_targets(S.CLOSED, R.CS_SUPERVISOR)
    assert S.ARCHIVED not in allowed_targets(S.CLOSED, R.HANDLER)
    assert allowed_targets(S.CLOSED, R.HANDLER) == []
