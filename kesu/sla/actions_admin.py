"""Administrators' writes: calendars, dated holidays and make-up days, SLA policies, escalation levels.

Each action checks the ``admin`` capability, owns its transaction, writes an audit row and,
on commit, invalidates the cached calendars or policies. A calendar change recomputes the
deadlines of open cases only (a Celery task; ``kesu calendar import`` runs it synchronously).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from kesu.core import audit
from kesu.core.errors import Forbidden, ValidationFailed
from kesu.org.models import OrgUnit, User
from kesu.org.roles import Cap, has_cap
from kesu.sla import calendars, policies
from kesu.sla.choices import POLICY_CLOCKS, DaySource, DayType, EscalationTarget, Unit
from kesu.sla.models import Calendar, CalendarDay, EscalationLevel, SlaPolicy, SlaTarget
from kesu.sla.worktime import hours_from_json


def _require_admin(actor: User | None) -> None:
    if actor is not None and not has_cap(actor.role, Cap.ADMIN):
        raise Forbidden(_("Only an administrator may change calendars and SLA policies."))


def _calendar_changed(unit: OrgUnit | None, *, recompute: str) -> None:
    """On commit: drop cached calendars everywhere, then recompute open cases' deadlines.

    ``recompute`` is "task" (Celery, the console), "now" (synchronously, the CLI) or "no".
    """
    transaction.on_commit(calendars.bump_generation)
    if recompute == "task":
        from kesu.sla.tasks import recompute_deadlines

        transaction.on_commit(lambda: recompute_deadlines.delay(unit.pk if unit else None))
    elif recompute == "now":
        from kesu.sla.actions_sweep import do_recompute_deadlines

        transaction.on_commit(lambda: do_recompute_deadlines(unit=unit))


@dataclass(frozen=True)
class CalendarInput:
    name: str
    hours: list[list[str]]
    weekdays: list[int]
    inherit_days: bool = True


def do_save_calendar(
    unit: OrgUnit, data: CalendarInput, *, actor: User | None, recompute: str = "task"
) -> Calendar:
    """Create or change the calendar of ``unit`` (hours, weekdays, inheritance)."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    try:
        hours_from_json(data.hours)
        if not data.hours:
            raise ValueError
    except (ValueError, TypeError):
        errors["hours"] = [_("Give working hours as HH:MM–HH:MM intervals that do not overlap.")]
    if not data.weekdays or not set(data.weekdays) <= set(range(7)):
        errors["weekdays"] = [_("Choose at least one working weekday.")]
    if not data.name.strip():
        errors["name"] = [_("Please give the calendar a name.")]
    if errors:
        raise ValidationFailed(_("The calendar was not saved."), fields=errors)
    with transaction.atomic():
        cal, created = Calendar.objects.get_or_create(org_unit=unit, defaults={"name": data.name})
        cal.name, cal.hours, cal.weekdays, cal.inherit_days = (
            data.name.strip(),
            data.hours,
            sorted(set(data.weekdays)),
            data.inherit_days,
        )
        cal.save()
        audit.record(
            "sla.calendar_saved",
            actor=actor,
            object_type="sla.calendar",
            object_id=cal.pk,
            data={"unit": unit.code, "hours": cal.hours, "weekdays": cal.weekdays, "created": created},
        )
        _calendar_changed(unit, recompute=recompute)
    return cal


@dataclass(frozen=True)
class DayInput:
    day: date
    type: str
    name: str = ""


def _check_days(rows: Iterable[DayInput]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for i, row in enumerate(rows, start=1):
        if row.type not in DayType.values:
            errors.setdefault("type", []).append(
                _("Line {line}: the type must be holiday or workday.").format(line=i)
            )
        if len(row.name) > 120:
            errors.setdefault("name", []).append(_("Line {line}: the name is too long.").format(line=i))
    return errors


def do_set_calendar_days(
    cal: Calendar,
    rows: list[DayInput],
    *,
    actor: User | None,
    source: str = DaySource.ADMIN,
    recompute: str = "task",
) -> int:
    """Add or replace dated entries (holiday / make-up workday) of ``cal``. Returns rows written."""
    _require_admin(actor)
    errors = _check_days(rows)
    if errors:
        raise ValidationFailed(_("Nothing was saved: please correct the dates."), fields=errors)
    with transaction.atomic():
        for row in rows:
            CalendarDay.objects.update_or_create(
                calendar=cal, day=row.day, defaults={"type": row.type, "name": row.name, "source": source}
            )
        audit.record(
            "sla.calendar_days_set",
            actor=actor,
            object_type="sla.calendar",
            object_id=cal.pk,
            data={"days": [[r.day.isoformat(), r.type, r.name] for r in rows], "source": source},
        )
        _calendar_changed(cal.org_unit, recompute=recompute)
    return len(rows)


def do_delete_calendar_day(cal: Calendar, day: date, *, actor: User | None, recompute: str = "task") -> bool:
    _require_admin(actor)
    with transaction.atomic():
        deleted, _n = CalendarDay.objects.filter(calendar=cal, day=day).delete()
        if deleted:
            audit.record(
                "sla.calendar_day_deleted",
                actor=actor,
                object_type="sla.calendar",
                object_id=cal.pk,
                data={"day": day.isoformat()},
            )
            _calendar_changed(cal.org_unit, recompute=recompute)
    return bool(deleted)


def parse_days_file(content: bytes, filename: str) -> list[DayInput]:
    """Read a State Council schedule from CSV or JSON (format: ``kesu calendar import --help``).

    Raises ``ValidationFailed`` naming every bad line; nothing is half-read.
    """
    text = content.decode("utf-8-sig")
    raw: list[dict[str, str]]
    if filename.lower().endswith(".json") or text.lstrip().startswith("["):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(_("The file is not valid JSON."), fields={"file": [str(exc)]}) from exc
        if not isinstance(loaded, list):
            raise ValidationFailed(_("The JSON file must hold a list of days."))
        raw = [dict(x) if isinstance(x, dict) else {} for x in loaded]
    else:
        raw = list(csv.DictReader(io.StringIO(text)))
    rows, errors = [], []
    for line, item in enumerate(raw, start=2 if not text.lstrip().startswith("[") else 1):
        try:
            rows.append(
                DayInput(
                    date.fromisoformat(str(item.get("date", "")).strip()),
                    str(item.get("type", "")).strip().lower(),
                    str(item.get("name", "") or "").strip(),
                )
            )
        except ValueError:
            errors.append(_("Line {line}: the date must look like 2027-10-01.").format(line=line))
    if errors:
        raise ValidationFailed(_("Nothing was imported: please correct the file."), fields={"file": errors})
    if not rows:
        raise ValidationFailed(_("The file holds no days."), fields={"file": [_("The file holds no days.")]})
    return rows


# --- policies and escalation levels ------------------------------------------------------


@dataclass(frozen=True)
class TargetInput:
    clock: str
    amount: int
    unit: str
    warn_percent: int = 80


@dataclass(frozen=True)
class PolicyInput:
    name: str
    kind: str = ""
    severity: str = ""
    priority: str = ""
    customer_level: str = ""
    org_unit: OrgUnit | None = None
    is_active: bool = True
    targets: tuple[TargetInput, ...] = ()


def do_save_policy(data: PolicyInput, *, actor: User | None, instance: SlaPolicy | None = None) -> SlaPolicy:
    """Create or change a policy and replace its targets. Running clocks pick up a new target
    at the case's next change (``sync_case_clocks``), counted from their original start."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors["name"] = [_("Please give the policy a name.")]
    for t in data.targets:
        if (
            t.clock not in POLICY_CLOCKS
            or t.unit not in Unit.values
            or t.amount < 1
            or not 1 <= t.warn_percent <= 100
        ):
            errors.setdefault("targets", []).append(
                _("Target {clock}: give a positive amount, a unit and a warning share of 1–100 %.").format(
                    clock=t.clock
                )
            )
    if len({t.clock for t in data.targets}) != len(data.targets):
        errors.setdefault("targets", []).append(_("Each clock may have one target only."))
    if errors:
        raise ValidationFailed(_("The policy was not saved."), fields=errors)
    with transaction.atomic():
        policy = instance or SlaPolicy()
        for name in ("name", "kind", "severity", "priority", "customer_level", "org_unit", "is_active"):
            setattr(policy, name, getattr(data, name))
        policy.save()
        SlaTarget.objects.filter(policy=policy).delete()
        SlaTarget.objects.bulk_create(
            [
                SlaTarget(
                    policy=policy, clock=t.clock, amount=t.amount, unit=t.unit, warn_percent=t.warn_percent
                )
                for t in data.targets
            ]
        )
        audit.record(
            "sla.policy_saved",
            actor=actor,
            object_type="sla.policy",
            object_id=policy.pk,
            data={
                "name": policy.name,
                "targets": [[t.clock, t.amount, t.unit, t.warn_percent] for t in data.targets],
            },
        )
        transaction.on_commit(policies.bump_generation)
    return policy


@dataclass(frozen=True)
class LevelInput:
    level: int
    name: str
    target: str
    unit_kind: str = ""
    department_kind: str = ""
    roles: tuple[str, ...] = ()


def do_save_escalation_level(
    data: LevelInput, *, actor: User | None, instance: EscalationLevel | None = None
) -> EscalationLevel:
    _require_admin(actor)
    if data.target not in EscalationTarget.values or data.level < 1 or not data.name.strip():
        raise ValidationFailed(
            _("The escalation level was not saved."),
            fields={"target": [_("Give a level number, a name and who it reaches.")]},
        )
    clash = EscalationLevel.objects.filter(level=data.level)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise ValidationFailed(
            _("The escalation level was not saved."), fields={"level": [_("This level number is taken.")]}
        )
    with transaction.atomic():
        row = instance or EscalationLevel()
        row.level, row.name, row.target = data.level, data.name.strip(), data.target
        row.unit_kind, row.department_kind, row.roles = data.unit_kind, data.department_kind, list(data.roles)
        row.save()
        audit.record(
            "sla.escalation_level_saved",
            actor=actor,
            object_type="sla.escalation_level",
            object_id=row.pk,
            data={"level": row.level, "name": row.name, "target": row.target, "roles": row.roles},
        )
    return row
