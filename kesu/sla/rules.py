"""Which status or trigger starts, stops, restarts and pauses each clock: one table (ADR 0004).

Pure: no ORM. ``kesu.sla.actions.sync_case_clocks`` applies it after every change of a case.

* relay — from receipt until the case is assigned (or any later working state);
* first_response — from receipt until the case is accepted (or later) or a customer-visible
  reply is sent (trigger ``reply_sent``);
* handling — from receipt until a solution is approved (or later); restarts on reopen;
* reply — from receipt until the result is replied to the customer; restarts on reopen;
* callback — from the reply until the case is closed; stops on reopen, restarts at the next reply;
* promise — an absolute time promised to the customer (WF-5), until the next customer-visible
  reply or the reply status; set by ``do_track_promise``.

Every clock stops when the case is closed, archived or rejected. While the case awaits
information from the customer, the receipt clocks pause; the callback and the promise do not
(the customer owes nothing there, and a promise is a promise).
"""

from __future__ import annotations

from dataclasses import dataclass

from kesu.cases.choices import FINISHED_STATUSES
from kesu.cases.choices import Status as S
from kesu.sla.choices import ClockCode as C


class Trigger:
    CREATED = "created"
    STATUS = "status"
    CLASSIFIED = "classified"
    REPLY_SENT = "reply_sent"


TRIGGERS = frozenset({Trigger.CREATED, Trigger.STATUS, Trigger.CLASSIFIED, Trigger.REPLY_SENT})


@dataclass(frozen=True)
class ClockRule:
    code: str
    #: Started at the case's receipt time (else at the time of the change that starts it).
    from_receipt: bool
    start_statuses: frozenset[str]
    stop_statuses: frozenset[str]
    stop_triggers: frozenset[str]
    restart_statuses: frozenset[str]
    pausable: bool


_FROM_ACCEPTED = frozenset(
    {
        S.ACCEPTED,
        S.ASSIGNED,
        S.INVESTIGATING,
        S.SOLUTION_PROPOSED,
        S.SOLUTION_APPROVED,
        S.IMPLEMENTING,
        S.REPLIED,
        S.CALLBACK,
    }
)
_FROM_ASSIGNED = _FROM_ACCEPTED - {S.ACCEPTED}
_FROM_APPROVED = frozenset({S.SOLUTION_APPROVED, S.IMPLEMENTING, S.REPLIED, S.CALLBACK})
_FROM_REPLIED = frozenset({S.REPLIED, S.CALLBACK})
#: Statuses in which a receipt clock that does not exist yet is started (existing cases).
_OPEN = frozenset(S.values) - FINISHED_STATUSES

RULES: dict[str, ClockRule] = {
    C.RELAY: ClockRule(C.RELAY, True, _OPEN, _FROM_ASSIGNED, frozenset(), frozenset(), True),
    C.FIRST_RESPONSE: ClockRule(
        C.FIRST_RESPONSE, True, _OPEN, _FROM_ACCEPTED, frozenset({Trigger.REPLY_SENT}), frozenset(), True
    ),
    C.HANDLING: ClockRule(
        C.HANDLING, True, _OPEN, _FROM_APPROVED, frozenset(), frozenset({S.REOPENED}), True
    ),
    C.REPLY: ClockRule(C.REPLY, True, _OPEN, _FROM_REPLIED, frozenset(), frozenset({S.REOPENED}), True),
    C.CALLBACK: ClockRule(
        C.CALLBACK,
        False,
        frozenset({S.REPLIED}),
        frozenset({S.REOPENED}),
        frozenset(),
        frozenset({S.REPLIED}),
        False,
    ),
    C.PROMISE: ClockRule(
        C.PROMISE, False, frozenset(), _FROM_REPLIED, frozenset({Trigger.REPLY_SENT}), frozenset(), False
    ),
}


def should_stop(rule: ClockRule, status: str, trigger: str) -> bool:
    return status in FINISHED_STATUSES or status in rule.stop_statuses or trigger in rule.stop_triggers


def should_start(rule: ClockRule, status: str, trigger: str, *, exists: bool) -> bool:
    """A missing clock starts in its start statuses; a stopped one only in its restart statuses."""
    if status in FINISHED_STATUSES or should_stop(rule, status, trigger):
        return False
    return status in (rule.restart_statuses if exists else rule.start_statuses)
