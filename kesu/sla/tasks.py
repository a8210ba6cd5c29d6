"""Celery tasks of the sla app: thin, idempotent wrappers around actions.

Beat runs ``kesu.sla.tasks.sweep`` every minute. ``recompute_deadlines`` is enqueued on commit
of a calendar change.
"""

from __future__ import annotations

from celery import shared_task

from kesu.org.models import OrgUnit
from kesu.sla.actions_sweep import do_recompute_deadlines, do_send_sla_notifications, do_sweep_clocks


@shared_task(name="kesu.sla.tasks.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    """One sweep, then the notifications of its marks; a rerun marks and notifies nothing twice."""
    result = do_sweep_clocks()
    sent = do_send_sla_notifications()
    return {
        "warned": result.warned,
        "breached": result.breached,
        "escalated": result.escalated,
        "notified": sent,
    }


@shared_task(name="kesu.sla.tasks.recompute_deadlines", ignore_result=True)
def recompute_deadlines(unit_id: int | None = None) -> int:
    """Recompute the deadlines of the open cases under a unit after its calendar changed."""
    unit = OrgUnit.objects.filter(pk=unit_id).first() if unit_id is not None else None
    if unit_id is not None and unit is None:
        return 0
    return do_recompute_deadlines(unit=unit)
