"""Who a case escalates to (WF-3): the levels of the chain resolved to users. Reads only.

The default chain (004 第十二条) is store → region → customer service centre → marketing
director → executive. A level that finds nobody for a case (a head-office case has no store;
a department without members) is skipped, so a breach always reaches someone who can act.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max

from kesu.cases.models import Case
from kesu.org.models import Department, User
from kesu.sla.calendars import ancestors, snapshot
from kesu.sla.choices import EscalationTarget
from kesu.sla.models import Escalation, EscalationLevel


@dataclass(frozen=True)
class ResolvedLevel:
    level: int
    name: str
    users: list[User]


def current_level(case: Case) -> int:
    """The highest level the case has reached; 0 when it was never escalated."""
    return Escalation.objects.filter(case_id=case.pk).aggregate(m=Max("level"))["m"] or 0


def users_for(level: EscalationLevel, unit_id: int) -> list[User]:
    """The active users a level names for a case of org unit ``unit_id``."""
    users = User.objects.filter(is_active=True).order_by("pk")
    roles = list(level.roles or [])
    if level.target == EscalationTarget.UNIT_ROLE:
        unit = next((u for u in ancestors(unit_id) if u.kind == level.unit_kind), None)
        if unit is None:
            return []
        users = users.filter(org_unit_id=unit.pk)
    elif level.target == EscalationTarget.DEPARTMENT:
        dept_id = level.department_id or _head_office_department(level.department_kind)
        if dept_id is None:
            return []
        users = users.filter(department_id=dept_id)
    else:
        root = next((u for u in snapshot().units.values() if u.parent_id is None), None)
        if root is None:
            return []
        users = users.filter(org_unit_id=root.pk)
    if roles:
        users = users.filter(role__in=roles)
    return list(users)


def _head_office_department(kind: str) -> int | None:
    return (
        Department.objects.filter(kind=kind, org_unit__parent__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def next_level(unit_id: int, above: int) -> ResolvedLevel | None:
    """The first level above ``above`` that names somebody for a case of org unit ``unit_id``,
    or None at the top of the chain."""
    for level in EscalationLevel.objects.filter(level__gt=above).order_by("level"):
        users = users_for(level, unit_id)
        if users:
            return ResolvedLevel(level.level, level.name, users)
    return None


def warning_recipients_many(cases: list[Case]) -> dict[int, list[User]]:
    """``warning_recipients`` for many cases with three queries in all (the sweep)."""
    owner_ids = {getattr(c, "owner_id", None) for c in cases} - {None}
    owners = User.objects.in_bulk(owner_ids)
    dept_ids = {getattr(c, "department_id", None) for c in cases} - {None}
    heads: dict[int, list[User]] = {}
    for head in User.objects.filter(department_id__in=dept_ids, role="department_head", is_active=True):
        heads.setdefault(head.department_id or 0, []).append(head)
    out: dict[int, list[User]] = {}
    for case in cases:
        people = {}
        owner = owners.get(getattr(case, "owner_id", None) or 0)
        if owner is not None:
            people[owner.pk] = owner
        for head in heads.get(getattr(case, "department_id", None) or 0, []):
            people[head.pk] = head
        if not people and case.intake_by is not None:
            people[case.intake_by.pk] = case.intake_by
        out[case.pk] = [u for u in people.values() if u.is_active]
    return out


def warning_recipients(case: Case) -> list[User]:
    """Who hears that a clock is about to run out: the owner and the department's head.

    Falls back to the first responder when the case has neither (before assignment).
    """
    people: dict[int, User] = {}
    owner = getattr(case, "owner", None)
    if owner is not None:
        people[owner.pk] = owner
    dept_id = getattr(case, "department_id", None)
    if dept_id:
        for head in User.objects.filter(department_id=dept_id, role="department_head", is_active=True):
            people[head.pk] = head
    if not people and case.intake_by_id:
        first = case.intake_by
        if first is not None:
            people[first.pk] = first
    return [u for u in people.values() if u.is_active]
