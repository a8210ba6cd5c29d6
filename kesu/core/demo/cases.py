"""Register the planned demo cases through the real intake and classification actions.

The demo replays a year of history, so each action runs with Django's clock set to the
moment it would have happened (the intake a few minutes after the call, the classification
hours later). Events, ``created_at`` and the hash chains then read as they would after a
year of real use, instead of showing two thousand cases all handled in the same minute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from unittest import mock

from django.utils import timezone

from kesu.cases.actions import do_classify_case, do_create_case
from kesu.core.demo.plan import CasePlan
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


def create_cases(
    plans: list[CasePlan], users: dict[str, User], progress: Callable[[int], None] | None = None
) -> int:
    """Create every planned case in order of receipt; return how many were created."""
    created = 0
    for plan in plans:
        actor = users[plan.actor] if plan.actor else None
        with clock_at(plan.intake_at):
            case = do_create_case(plan.data, actor=actor, idempotency_key=plan.idempotency_key).case
        if plan.classify is not None and plan.classify_at is not None and plan.classify_by:
            with clock_at(plan.classify_at):
                case = do_classify_case(case, plan.classify, actor=users[plan.classify_by])
        if plan.reclassify is not None and plan.reclassify_at is not None and plan.reclassify_by:
            with clock_at(plan.reclassify_at):
                do_classify_case(case, plan.reclassify, actor=users[plan.reclassify_by])
        created += 1
        if progress is not None:
            progress(created)
    return created
