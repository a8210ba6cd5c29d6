"""The steps of a demo case's life after intake, and the rules a step must obey to be replayed.

Pure: no ORM. A step names its moment, what happens (a move to a status, an assignment, an
entry in the communication log) and who may do it: a list of candidate users in order of
preference, and whether the case's owner (known only when the routing rules have run) should
do it when the owner's role allows. ``allowed`` is the check the planner applies to every
candidate and the replay applies again to the owner: the move is in the workflow table, the
role may make it, the user's scope covers the case's org unit and, for moves that need it,
the case's severity is within the role's authority limit (WF-3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kesu.cases import workflow
from kesu.cases.choices import Severity
from kesu.core.defaults import AUTHORITY_LIMITS, ROOT_CODE
from kesu.core.demo.org import UNITS
from kesu.core.demo.people import INTEGRATION, STAFF
from kesu.org.roles import Cap, has_cap

ROLE: dict[str, str] = {s.username: s.role for s in [*STAFF, INTEGRATION]}
LIMITS: dict[str, str] = {str(role): severity for role, severity in AUTHORITY_LIMITS.items()}
HOME = {s.username: s.unit for s in [*STAFF, INTEGRATION]}
_RANK = {code: i for i, code in enumerate(Severity.values)}


@dataclass(frozen=True)
class StatusStep:
    at: datetime
    to: str
    actors: tuple[str, ...]
    reason: str = ""
    by_owner: bool = False
    #: Approvals: somebody other than whoever proposed the solution signs it off.
    not_by_proposer: bool = False


@dataclass(frozen=True)
class AssignStep:
    at: datetime
    actors: tuple[str, ...]
    department: str = ""  # empty with owner empty: route by the rules
    owner: str = ""
    coordinator: str = ""
    reason: str = ""
    expect_department: str = ""  # what the plan expects the case to end up with


@dataclass(frozen=True)
class MessageStep:
    at: datetime
    actors: tuple[str, ...]
    kind: str
    direction: str
    body: str
    visible: bool
    subject: str = ""
    promise: datetime | None = None
    by_owner: bool = False


Step = StatusStep | AssignStep | MessageStep


def sees(username: str, unit: str) -> bool:
    """Whether the user's scope covers ``unit``: head office all, a region its stores, a store itself."""
    home = HOME[username]
    if home == ROOT_CODE or home == unit:
        return True
    spec = UNITS.get(unit)
    return spec is not None and spec.parent == home


def within_authority(role: str, target: str, severity: str) -> bool:
    if target not in workflow.AUTHORITY_TARGETS or not severity or role not in LIMITS:
        return True
    return _RANK[LIMITS[role]] >= _RANK[severity]


def may_move(username: str, source: str, target: str, resume: str, unit: str, severity: str) -> bool:
    move = workflow.move_for(source, target, resume)
    role = ROLE[username]
    return (move is not None and role in move.roles and sees(username, unit)
            and within_authority(role, target, severity))


def may_assign(username: str, unit: str) -> bool:
    return ROLE[username] in workflow.ASSIGNERS and sees(username, unit)


def may_write(username: str, unit: str) -> bool:
    return has_cap(ROLE[username], Cap.CASE_ATTACH) and sees(username, unit)


def needs_reason(source: str, target: str, resume: str) -> bool:
    move = workflow.move_for(source, target, resume)
    return bool(move and move.needs_reason)
