"""The workflow of WF-1 as data: which status may follow which, and who may make each move.

Pure: no ORM. ``kesu.cases.actions_workflow.do_transition_case`` is the one action that moves a
case and consults this table; pages and the API offer only the moves ``allowed_targets`` lists.

Two states are detours rather than steps: "awaiting information" (the clocks pause while the
customer owes us something) and "escalated" (a higher level looks at the case). Leaving either
returns the case to the working state it came from (``Case.resume_status``) or any state the
table allows from there.
"""

from __future__ import annotations

from dataclasses import dataclass

from kesu.cases.choices import Status as S
from kesu.org.choices import Role as R

#: Roles that work cases at the front line and in the departments.
_STAFF = frozenset({R.INTAKE_AGENT, R.HANDLER, R.DEPARTMENT_HEAD, R.COORDINATOR, R.CS_SUPERVISOR, R.ADMIN})
_HANDLERS = frozenset({R.HANDLER, R.DEPARTMENT_HEAD, R.COORDINATOR, R.CS_SUPERVISOR, R.ADMIN})
#: The three-level review of a solution (WF-3): department head, quality, top management.
_APPROVERS = frozenset({R.DEPARTMENT_HEAD, R.QUALITY_ENGINEER, R.CS_SUPERVISOR, R.EXECUTIVE, R.ADMIN})
_SUPERVISORS = frozenset({R.CS_SUPERVISOR, R.ADMIN})
#: Closing or rejecting a serious or special case needs quality or top management (WF-3 limits).
_CLOSERS = _STAFF | {R.QUALITY_ENGINEER, R.EXECUTIVE}
_ESCALATORS = _STAFF | {R.QUALITY_ENGINEER}
#: Who may give a case to a department and a person (WF-2).
ASSIGNERS = _STAFF

#: Working states a case can be paused in (awaiting information) or escalated from.
WORKING = frozenset({S.NEW, S.ACCEPTED, S.ASSIGNED, S.INVESTIGATING, S.SOLUTION_PROPOSED,
                     S.SOLUTION_APPROVED, S.IMPLEMENTING, S.REOPENED})
#: States from which the case may go back to a state it has left behind, for the reasons given.
DETOURS = frozenset({S.AWAITING_INFO, S.ESCALATED})
#: Moves whose severity must be within the actor's authority limit (WF-3).
AUTHORITY_TARGETS = frozenset({S.SOLUTION_APPROVED, S.CLOSED, S.REJECTED})


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    roles: frozenset[str]
    needs_reason: bool = False


def _moves() -> list[Move]:
    moves = [
        Move(S.NEW, S.ACCEPTED, _STAFF),
        Move(S.NEW, S.ASSIGNED, _STAFF),
        Move(S.ACCEPTED, S.ASSIGNED, _STAFF),
        Move(S.REOPENED, S.ASSIGNED, _STAFF),
        Move(S.ASSIGNED, S.INVESTIGATING, _HANDLERS),
        Move(S.REOPENED, S.INVESTIGATING, _HANDLERS),
        Move(S.INVESTIGATING, S.SOLUTION_PROPOSED, _HANDLERS | {R.QUALITY_ENGINEER}),
        Move(S.SOLUTION_PROPOSED, S.SOLUTION_APPROVED, _APPROVERS),
        Move(S.SOLUTION_PROPOSED, S.INVESTIGATING, _APPROVERS, needs_reason=True),
        Move(S.SOLUTION_APPROVED, S.IMPLEMENTING, _HANDLERS),
        Move(S.SOLUTION_APPROVED, S.REPLIED, _STAFF),
        # Praise and simple inquiries are answered at first contact.
        Move(S.ACCEPTED, S.REPLIED, _STAFF),
        Move(S.IMPLEMENTING, S.REPLIED, _STAFF),
        Move(S.REPLIED, S.CALLBACK, _STAFF),
        Move(S.CALLBACK, S.CLOSED, _CLOSERS),
        # Closing without a callback (the customer cannot be reached) is a supervisor's call.
        Move(S.REPLIED, S.CLOSED, _SUPERVISORS | {R.QUALITY_ENGINEER, R.EXECUTIVE}, needs_reason=True),
        Move(S.CLOSED, S.ARCHIVED, _SUPERVISORS),
        # The customer objects to the result, or the problem comes back.
        Move(S.REPLIED, S.REOPENED, _STAFF, needs_reason=True),
        Move(S.CALLBACK, S.REOPENED, _STAFF, needs_reason=True),
        Move(S.CLOSED, S.REOPENED, _SUPERVISORS | {R.DEPARTMENT_HEAD}, needs_reason=True),
        Move(S.REJECTED, S.REOPENED, _SUPERVISORS | {R.DEPARTMENT_HEAD}, needs_reason=True),
    ]
    for source in (S.NEW, S.ACCEPTED, S.ASSIGNED, S.INVESTIGATING):
        moves.append(Move(source, S.REJECTED, _HANDLERS | {R.QUALITY_ENGINEER, R.EXECUTIVE},
                          needs_reason=True))
    for source in WORKING:
        moves.append(Move(source, S.AWAITING_INFO, _STAFF, needs_reason=True))
        moves.append(Move(source, S.ESCALATED, _ESCALATORS, needs_reason=True))
    return moves


TABLE: dict[tuple[str, str], Move] = {(m.source, m.target): m for m in _moves()}


def move_for(source: str, target: str, resume_status: str = "") -> Move | None:
    """The move from ``source`` to ``target``, or None if the table forbids it.

    From a detour the case may return to ``resume_status`` or take any move allowed from there.
    """
    if source in DETOURS:
        if not resume_status or target == source:
            return None
        if target == resume_status:
            return Move(source, target, _ESCALATORS | _APPROVERS)
        onward = TABLE.get((resume_status, target))
        if onward is None or target in DETOURS:
            return None
        return Move(source, target, onward.roles, onward.needs_reason)
    return TABLE.get((source, target))


def allowed_targets(source: str, role: str, resume_status: str = "") -> list[str]:
    """Targets ``role`` may move a case to from ``source``, in the order of ``Status``."""
    return [
        target for target in S.values
        if (move := move_for(source, target, resume_status)) is not None and role in move.roles
    ]
