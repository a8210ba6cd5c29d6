"""Replay a planned case life through the real workflow actions, each at its historical moment.

Every step runs with Django's clock set to the step's moment (``clock_at``) and passes that
moment as ``at`` where the action takes it, so events, SLA clocks, outbox rows and message
times read as they would after a year of use. Who acts is decided here, from the plan's
candidates: the case's owner when the step prefers the owner and the owner's role, scope and
authority allow the move (the owner is only known once the routing rules have run), else
the first candidate who may — and for an approval never the person who proposed the solution.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from unittest import mock

from django.utils import timezone

from kesu.cases.actions_messages import NewMessage, do_add_message
from kesu.cases.actions_workflow import Assignment, do_assign_case, do_transition_case
from kesu.cases.choices import Status
from kesu.cases.models import Case
from kesu.core.demo.steps import AssignStep, MessageStep, StatusStep, Step, may_move, may_write
from kesu.org.models import User


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Make ``timezone.now()`` answer ``moment`` while one action runs (single-threaded use only).

    The moment is given in UTC, as ``timezone.now()`` does: event hashes include the
    ISO form of the time, and a +08:00 spelling would not match the UTC value read back.
    """
    utc = moment.astimezone(UTC)
    with mock.patch.object(timezone, "now", new=lambda: utc):
        yield


class Stuck(Exception):
    """The case waits for information with nowhere to return to (registered incomplete, and
    intake recorded no status to resume): the table allows no move out, so its life ends here."""


class Replayer:
    """Runs steps for the cases of one load; remembers who proposed each case's solution."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        self.names = {u.pk: u.username for u in users.values()}
        self.proposer: dict[int, str] = {}
        self.stuck: set[str] = set()

    def run(self, case: Case, unit: str, step: Step) -> Case:
        """Perform one step on ``case`` (of org unit code ``unit``); returns the case as it is now."""
        if isinstance(step, StatusStep):
            if case.status == Status.AWAITING_INFO and not case.resume_status:
                raise Stuck(case.number)
            name = self._mover(case, unit, step)
            with clock_at(step.at):
                case = do_transition_case(case, step.to, reason=step.reason, actor=self.users[name],
                                          at=step.at)
            if step.to == Status.SOLUTION_PROPOSED:
                self.proposer[case.pk] = name
            return case
        if isinstance(step, AssignStep):
            data = Assignment(department=step.department, owner=step.owner, coordinator=step.coordinator,
                              reason=step.reason)
            with clock_at(step.at):
                return do_assign_case(case, data, actor=self.users[step.actors[0]], at=step.at)
        name = self._writer(case, unit, step)
        with clock_at(step.at):
            do_add_message(case, NewMessage(
                kind=step.kind, direction=step.direction, body=step.body, visible_to_customer=step.visible,
                subject=step.subject, promised_reply_at=step.promise,
            ), actor=self.users[name])
        return case

    def _owner(self, case: Case) -> str:
        return self.names.get(case.owner_id or 0, "")

    def _mover(self, case: Case, unit: str, step: StatusStep) -> str:
        proposer = self.proposer.get(case.pk, "") if step.not_by_proposer else ""
        owner = self._owner(case) if step.by_owner else ""
        # The planned actors first; then anyone on the roster, because triage may have classified
        # the case more severely than the plan assumed (a changed model, a repeat), and the
        # authority limits follow the case's actual severity.
        for name in (owner, *step.actors, *self.users):
            if name and name != proposer and may_move(
                name, case.status, step.to, case.resume_status, unit, case.severity
            ):
                return name
        return step.actors[0]  # the action refuses and says why: a defect of the plan

    def _writer(self, case: Case, unit: str, step: MessageStep) -> str:
        owner = self._owner(case) if step.by_owner else ""
        if owner and may_write(owner, unit):
            return owner
        return step.actors[0]
