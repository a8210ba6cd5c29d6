"""Who the replay picks to move a case: the plan's candidates first, then anyone allowed.

Triage may classify a case more severely than the plan assumed (a retrained model, a repeat
complaint raising the priority); the authority limits (WF-3) follow the case's actual severity,
so the planned approver can be over their limit. The replay must then find someone on the roster
who may approve, never the proposer, instead of letting the action refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kesu.cases.choices import Status
from kesu.core.demo.replay import Replayer
from kesu.core.demo.steps import ROLE, StatusStep, may_move
from kesu.core.demo.timeline import TZ
from kesu.org.roles import Role


@dataclass
class _User:
    pk: int
    username: str


@dataclass
class _Case:
    pk: int = 1
    status: str = Status.SOLUTION_PROPOSED
    resume_status: str = ""
    severity: str = "special"
    owner_id: int | None = None


def _replayer() -> Replayer:
    users = {name: _User(pk, name) for pk, name in enumerate(ROLE, start=1)}
    return Replayer(users)  # type: ignore[arg-type]


def _approval(*actors: str) -> StatusStep:
    return StatusStep(at=datetime(2026, 3, 2, 10, tzinfo=TZ), to=Status.SOLUTION_APPROVED, actors=actors,
                      not_by_proposer=True)


def test_the_planned_approver_moves_when_within_authority() -> None:
    case = _Case(severity="serious")
    assert _replayer()._mover(case, "HQ", _approval("zhengtao")) == "zhengtao"  # type: ignore[arg-type]


def test_an_approver_over_their_limit_gives_way_to_someone_on_the_roster_who_may() -> None:
    """A quality engineer may approve up to "serious"; a "special" case needs an executive or admin."""
    case = _Case(severity="special")
    replayer = _replayer()
    assert not may_move("zhengtao", case.status, Status.SOLUTION_APPROVED, "", "HQ", "special")

    name = replayer._mover(case, "HQ", _approval("zhengtao"))  # type: ignore[arg-type]

    assert ROLE[name] in {Role.EXECUTIVE, Role.ADMIN}
    assert may_move(name, case.status, Status.SOLUTION_APPROVED, "", "HQ", "special")


def test_the_fallback_never_picks_whoever_proposed_the_solution() -> None:
    case = _Case(severity="special")
    replayer = _replayer()
    first = replayer._mover(case, "HQ", _approval("zhengtao"))  # type: ignore[arg-type]
    replayer.proposer[case.pk] = first

    second = replayer._mover(case, "HQ", _approval("zhengtao"))  # type: ignore[arg-type]

    assert second != first
    assert may_move(second, case.status, Status.SOLUTION_APPROVED, "", "HQ", "special")


def test_when_nobody_may_the_planned_actor_is_returned_so_the_action_says_why() -> None:
    case = _Case(status=Status.CLOSED)  # nothing moves a closed case to "approved"
    assert _replayer()._mover(case, "HQ", _approval("zhengtao")) == "zhengtao"  # type: ignore[arg-type]
