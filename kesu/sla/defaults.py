"""``install_sla_defaults()``: the head-office calendar, default SLA policies, the escalation chain.

Called by ``kesu init`` (kesu/core/defaults.py). Idempotent: what exists is left alone, so an
administrator's edits survive a second run; missing rows (a new year of statutory holidays
after a package upgrade) are added.

Defaults follow SPEC WF-4 (ADR 0004 has the table and the reasons).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from kesu.org.models import OrgUnit
from kesu.sla import calendars, policies
from kesu.sla.choices import DaySource, EscalationTarget
from kesu.sla.models import Calendar, CalendarDay, EscalationLevel, SlaPolicy, SlaTarget
from kesu.sla.statutory import statutory_days

M, H, D = "minutes", "hours", "days"

#: code → (name, criteria, {clock: (amount, unit)}). Per clock the most specific policy wins.
DEFAULT_POLICIES: list[tuple[str, str, dict[str, str], dict[str, tuple[int, str]]]] = [
    (
        "default",
        "默认时限",
        {},
        {
            "relay": (4, H),  # half a working day to the responsible departments (000 §4 step 2)
            "first_response": (1, D),  # 24 hours (002 §1.3), on working time
            "handling": (2, D),  # 48 hours (002 §1.3)
            "reply": (3, D),  # result to the customer within 72 hours (002 §1.3)
            "callback": (5, D),  # callback within a week of the resolution (004 第十五条)
        },
    ),
    (
        "complaint-major",
        "严重投诉",
        {"kind": "complaint", "severity": "major"},
        {
            "first_response": (1, D),
            "handling": (2, D),  # 002 §5.1: within 2 working days
        },
    ),
    (
        "complaint-serious",
        "重大投诉（已造成伤害）",
        {"kind": "complaint", "severity": "serious"},
        {
            "relay": (15, M),  # to the quality department within 15 minutes (001 §二.1)
            "first_response": (2, H),
            "handling": (1, D),
            "reply": (2, D),
        },
    ),
    (
        "urgent",
        "紧急优先级",
        {"priority": "urgent"},
        {
            "relay": (15, M),
            "first_response": (2, H),
            "handling": (1, D),
        },
    ),
    ("vip", "VIP 客户", {"customer_level": "vip"}, {"first_response": (4, H)}),
    ("suggestion", "建议", {"kind": "suggestion"}, {"reply": (5, D)}),  # a reply within a week (000 8.1)
]

#: level → (name, target, unit kind, department kind, roles).
DEFAULT_LEVELS = [
    (1, "门店", EscalationTarget.UNIT_ROLE, "store", "", ["department_head", "cs_supervisor"]),
    (2, "大区", EscalationTarget.UNIT_ROLE, "region", "", ["department_head", "cs_supervisor"]),
    (
        3,
        "客服中心",
        EscalationTarget.DEPARTMENT,
        "",
        "customer_service",
        ["department_head", "cs_supervisor"],
    ),
    (4, "营销总监", EscalationTarget.DEPARTMENT, "", "marketing", ["department_head"]),
    (5, "高层管理者", EscalationTarget.HQ_ROLE, "", "", ["executive"]),
]


@dataclass(frozen=True)
class SlaDefaultsResult:
    calendar_created: bool
    days_added: int
    policies_added: int
    levels_added: int


def install_sla_defaults() -> SlaDefaultsResult:
    with transaction.atomic():
        root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
        created, added = False, 0
        if root is not None:
            cal, created = Calendar.objects.get_or_create(org_unit=root, defaults={"name": "总部工作日历"})
            existing = set(cal.days.values_list("day", flat=True))
            rows = [
                CalendarDay(calendar=cal, day=d, type=t, name=n, source=DaySource.STATUTORY)
                for d, t, n in statutory_days()
                if d not in existing
            ]
            CalendarDay.objects.bulk_create(rows)
            added = len(rows)
        policies_added = 0
        for code, name, criteria, targets in DEFAULT_POLICIES:
            policy, new = SlaPolicy.objects.get_or_create(code=code, defaults={"name": name, **criteria})
            if new:
                policies_added += 1
                SlaTarget.objects.bulk_create(
                    [SlaTarget(policy=policy, clock=c, amount=a, unit=u) for c, (a, u) in targets.items()]
                )
        levels_added = 0
        for level, name, target, unit_kind, dept_kind, roles in DEFAULT_LEVELS:
            _, new = EscalationLevel.objects.get_or_create(
                level=level,
                defaults={
                    "name": name,
                    "target": target,
                    "unit_kind": unit_kind,
                    "department_kind": dept_kind,
                    "roles": roles,
                },
            )
            levels_added += new
        transaction.on_commit(calendars.bump_generation)
        transaction.on_commit(policies.bump_generation)
    return SlaDefaultsResult(created, added, policies_added, levels_added)
