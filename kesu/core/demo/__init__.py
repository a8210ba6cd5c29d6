"""``kesu demo``: a year of plausible data for a fictional food, tea and dairy company.

Everything is written through the real actions (org units, departments, users, routing
rules, cases, classifications, and each case's workflow: acceptance, assignment, messages,
status changes, escalation, callback, closing, archiving), so the audit log, the case event
chains, the SLA clocks and the outbox are exactly those of real use. The content is planned
from a seed (``plan.py``, ``workflow.py``) and is the same on every run with
the same seed and end date (by default yesterday, so every run on one day is identical).
Loading is all or nothing, and recorded in the audit log as ``demo.loaded`` so that a
second run can tell and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from kesu.core import audit
from kesu.core.defaults import ROOT_CODE
from kesu.core.demo.cases import create_cases
from kesu.core.demo.history import settle_history
from kesu.core.demo.org import create_org
from kesu.core.demo.people import STAFF, create_staff
from kesu.core.demo.plan import plan_cases
from kesu.core.demo.routing import create_routing_rules
from kesu.core.demo.timeline import window
from kesu.core.models import AuditEvent
from kesu.notify.actions import enqueue_paused
from kesu.org.models import OrgUnit, User

LOADED_EVENT = "demo.loaded"
DEFAULT_PASSWORD = "kesu-demo-2026"  # noqa: S105 - the documented demo password
DEFAULT_SEED = 2026
#: Notifications older than this before the end of the demo year were delivered and read.
HISTORY_CUTOFF = timedelta(days=1)


class NotInitialised(Exception):
    """``kesu init`` has not run: there is no root org unit to build on."""


@dataclass(frozen=True)
class DemoResult:
    cases: int
    users: int
    units: int


@dataclass(frozen=True)
class Login:
    username: str
    display_name: str
    role: str
    unit: str
    department: str


def is_loaded() -> bool:
    return AuditEvent.objects.filter(type=LOADED_EVENT).exists()


def load_demo(
    *, cases: int, password: str, seed: int = DEFAULT_SEED, until: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Load the demo in one transaction. The caller checks ``is_loaded()`` first."""
    if not OrgUnit.objects.filter(code=ROOT_CODE).exists():
        raise NotInitialised
    now = timezone.now()
    until = until or timezone.localdate(now) - timedelta(days=1)
    plans = plan_cases(cases, seed=seed, until=until, now=now)
    admin = User.objects.filter(username="admin").first()
    _start, end = window(until, now)
    # The replay writes ~20,000 outbox rows and delivers them itself (settle_history); the
    # rest, of the last day, go with the workers' periodic delivery, not one message each.
    with enqueue_paused(), transaction.atomic():
        units = create_org(admin)
        users = create_staff(password, admin)
        create_routing_rules(users["qianfeng"])
        created = create_cases(plans, users, progress, cutoff=end - HISTORY_CUTOFF,
                               at_cutoff=lambda at: settle_history(at, users))
        audit.record(LOADED_EVENT, actor=admin, object_type="demo", object_id="demo",
                     data={"cases": created, "seed": seed, "until": until.isoformat()})
    return DemoResult(cases=created, users=len(users), units=len(units) - 1)


def demo_logins() -> list[Login]:
    """The demo's sign-in accounts in roster order (the API integration account has no password)."""
    by_name = {u.username: u for u in User.objects.select_related("org_unit", "department")
               .filter(username__in=[s.username for s in STAFF])}
    out = []
    for spec in STAFF:
        user = by_name.get(spec.username)
        if user is None:
            continue
        out.append(Login(username=user.username, display_name=user.display_name, role=user.role,
                         unit=user.org_unit.name if user.org_unit else "",
                         department=user.department.name if user.department else ""))
    return out


def password_works(password: str) -> bool:
    """Whether the demo accounts still use ``password`` (so that it may be printed)."""
    user = User.objects.filter(username=STAFF[0].username).first()
    return bool(user and user.check_password(password))
