"""Calendars as data → ``WorkCalendar`` values, loaded once per process and cached.

Every calendar row and every dated exception is read in one go when a process first needs
working time, and again only after a change: the actions that change a calendar bump a
generation token in the shared cache on commit, and each process compares its token before
answering (``kesu.sla.generation``: once per transaction). Nothing here queries the
database per day or per case.

Resolution: a unit uses its own calendar, else the nearest ancestor's (walking up the
``path``), else the built-in default (09:00–18:00 with lunch, Monday to Friday). A unit's own
calendar takes the dated exceptions of the calendar above it unless ``inherit_days`` is off;
its own dated entries win. The time zone is always the case's own unit's ``timezone``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kesu.org.models import OrgUnit
from kesu.sla import generation
from kesu.sla.models import Calendar, CalendarDay
from kesu.sla.worktime import WorkCalendar, hours_from_json

GENERATION_KEY = "kesu:sla:calendar-generation"
DEFAULT_HOURS = [["09:00", "12:00"], ["13:00", "18:00"]]
DEFAULT_WEEKDAYS = [0, 1, 2, 3, 4]


@dataclass(frozen=True)
class UnitInfo:
    pk: int
    code: str
    parent_id: int | None
    path: str
    timezone: str
    kind: str


@dataclass(frozen=True)
class CalendarSpec:
    """One ``Calendar`` row with its own dated entries."""

    pk: int
    unit_id: int
    hours: list[list[str]]
    weekdays: list[int]
    inherit_days: bool
    days: dict[date, str]
    names: dict[date, str]


@dataclass
class Snapshot:
    generation: str
    units: dict[int, UnitInfo]
    by_code: dict[str, UnitInfo]
    specs: dict[int, CalendarSpec]  # by org unit id
    built: dict[tuple[int, str], WorkCalendar] = field(default_factory=dict)
    by_unit: dict[int, WorkCalendar] = field(default_factory=dict)


_lock = threading.Lock()
_snapshot: Snapshot | None = None


def bump_generation() -> None:
    """Make every process reload calendars (and org units) before its next answer."""
    global _snapshot
    generation.bump(GENERATION_KEY)
    _snapshot = None


def _generation() -> str:
    return generation.token(GENERATION_KEY)


def _load(generation: str) -> Snapshot:
    units = {
        u["pk"]: UnitInfo(u["pk"], u["code"], u["parent_id"], u["path"], u["timezone"], u["kind"])
        for u in OrgUnit.objects.values("pk", "code", "parent_id", "path", "timezone", "kind")
    }
    days: dict[int, dict[date, tuple[str, str]]] = {}
    for cal_id, day, kind, name in CalendarDay.objects.values_list("calendar_id", "day", "type", "name"):
        days.setdefault(cal_id, {})[day] = (kind, name)
    specs = {}
    for c in Calendar.objects.all():
        own = days.get(c.pk, {})
        specs[c.org_unit_id] = CalendarSpec(
            pk=c.pk,
            unit_id=c.org_unit_id,
            hours=c.hours,
            weekdays=c.weekdays,
            inherit_days=c.inherit_days,
            days={d: k for d, (k, _) in own.items()},
            names={d: n for d, (_, n) in own.items()},
        )
    return Snapshot(generation, units, {u.code: u for u in units.values()}, specs)


def snapshot() -> Snapshot:
    """The current snapshot, reloaded when another process changed a calendar or units."""
    global _snapshot
    generation = _generation()
    snap = _snapshot
    if snap is None or snap.generation != generation:
        with _lock:
            snap = _snapshot = _load(generation)
    return snap


def reset_cache() -> None:
    """Forget the process-local snapshot (tests, after a restore)."""
    global _snapshot
    _snapshot = None
    generation.forget()


def unit_info(unit_id: int, snap: Snapshot | None = None) -> UnitInfo:
    snap = snap or snapshot()
    info = snap.units.get(unit_id)
    if info is None:  # a unit created since the snapshot: reload once
        bump_generation()
        snap = snapshot()
        info = snap.units[unit_id]
    return info


def ancestors(unit_id: int, snap: Snapshot | None = None) -> list[UnitInfo]:
    """The unit and its ancestors, nearest first."""
    snap = snap or snapshot()
    codes = [c for c in unit_info(unit_id, snap).path.split("/") if c]
    return [snap.by_code[c] for c in reversed(codes) if c in snap.by_code]


def governing_spec(unit_id: int, snap: Snapshot | None = None) -> CalendarSpec | None:
    """The calendar row that governs ``unit_id``: its own or the nearest ancestor's."""
    snap = snap or snapshot()
    return next((snap.specs[u.pk] for u in ancestors(unit_id, snap) if u.pk in snap.specs), None)


def effective_days(unit_id: int, snap: Snapshot | None = None) -> tuple[dict[date, str], dict[date, str]]:
    """(type by date, name by date) that apply to ``unit_id``, inherited entries included."""
    snap = snap or snapshot()
    chain = [snap.specs[u.pk] for u in ancestors(unit_id, snap) if u.pk in snap.specs]
    kinds: dict[date, str] = {}
    names: dict[date, str] = {}
    for spec in reversed(_inheriting_prefix(chain)):
        kinds.update(spec.days)
        names.update(spec.names)
    return kinds, names


def _inheriting_prefix(chain: list[CalendarSpec]) -> list[CalendarSpec]:
    """The governing calendar and those above it for as long as each one inherits."""
    out: list[CalendarSpec] = []
    for spec in chain:
        out.append(spec)
        if not spec.inherit_days:
            break
    return out


def calendar_for_unit(unit_id: int, snap: Snapshot | None = None) -> WorkCalendar:
    """The working calendar of an org unit, built once per snapshot and time zone.

    One cache read to check the generation; loops over many units pass ``snap`` (or use
    ``calendar_lookup``) so that they check it once.
    """
    snap = snap or snapshot()
    cal = snap.by_unit.get(unit_id)
    if cal is not None:
        return cal
    info = unit_info(unit_id, snap)
    spec = governing_spec(unit_id, snap)
    # Units governed by the same calendar share its ancestors, hence its inherited days too.
    key = (spec.pk if spec else 0, info.timezone)
    cal = snap.built.get(key)
    if cal is None:
        kinds, _ = effective_days(unit_id, snap)
        cal = WorkCalendar(
            info.timezone,
            hours_from_json(spec.hours if spec else DEFAULT_HOURS),
            spec.weekdays if spec else DEFAULT_WEEKDAYS,
            kinds,
        )
        snap.built[key] = cal
    snap.by_unit[unit_id] = cal
    return cal


def calendar_lookup() -> Callable[[int], WorkCalendar]:
    """``calendar_for_unit`` bound to one snapshot, for loops over many clocks."""
    snap = snapshot()
    return lambda unit_id: calendar_for_unit(unit_id, snap)


def years_with_data(unit_id: int, snap: Snapshot | None = None) -> set[int]:
    """Years that have at least one dated exception for ``unit_id`` (holiday schedules known)."""
    kinds, _ = effective_days(unit_id, snap)
    return {d.year for d in kinds}


def describe(unit_id: int) -> dict[str, Any]:
    """Plain data about the calendar of a unit, for the API and the CLI."""
    snap = snapshot()
    spec = governing_spec(unit_id, snap)
    info = unit_info(unit_id, snap)
    owner = snap.units.get(spec.unit_id) if spec else None
    return {
        "unit": info.code,
        "timezone": info.timezone,
        "calendar_unit": owner.code if owner else None,
        "hours": spec.hours if spec else DEFAULT_HOURS,
        "weekdays": spec.weekdays if spec else DEFAULT_WEEKDAYS,
        "years_with_data": sorted(years_with_data(unit_id, snap)),
    }
