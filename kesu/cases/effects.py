"""What follows a change of a case, inside the same transaction: SLA clocks and notifications.

Actions call ``after_change`` explicitly (ARCHITECTURE rule 4: no signals). Both effects only
write rows — clock deadlines and outbox entries — so they commit or roll back with the change;
sending happens later from the outbox, and a receiver that is down never undoes the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kesu.cases.models import Case
from kesu.notify.actions import notify
from kesu.org.models import User
from kesu.sla.actions import sync_case_clocks


def after_change(
    case: Case, *, at: datetime, trigger: str | None, event: str = "", actor: User | None = None,
    recipients: Iterable[User | None] = (), context: dict[str, Any] | None = None, new_case: bool = False,
) -> None:
    """Resynchronise the case's clocks (unless ``trigger`` is None); notify ``recipients`` of ``event``.

    The notify action leaves out the actor, who knows what they just did. ``new_case``: the
    case was created in this transaction (intake), so it has no clocks yet to read.
    """
    if trigger is not None:
        sync_case_clocks(case, at=at, trigger=trigger, new_case=new_case)
    if event:
        # Even with no user to tell, webhooks subscribed to the event must fire.
        people = {u.pk: u for u in recipients if u is not None}
        notify(event, case=case, recipients=people.values(), context=context or {}, actor=actor)


def people_on(case: Case) -> list[User | None]:
    """Everyone who follows a case: the first responder, the owner and the coordinator."""
    return [case.intake_by, case.owner, case.coordinator]
