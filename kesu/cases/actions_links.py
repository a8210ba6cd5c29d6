"""Writes of TR-5 and TR-7: link related cases at intake, merge a duplicate, flag and resolve a crisis.

Each action owns its transaction (linking intake's new case writes in intake's own, without a
savepoint: intake fails as a whole), writes case events on every case it touches and leaves the
outbox rows of its notifications in the same transaction (``after_change``). Nothing here
deletes or copies case data: a merged duplicate is rejected through the workflow and keeps its
own timeline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesu.cases import events, workflow
from kesu.cases.access import ensure_visible
from kesu.cases.actions_workflow import do_transition_case
from kesu.cases.bulk_sql import insert_tuples
from kesu.cases.choices import FINISHED_STATUSES, Kind, Status
from kesu.cases.effects import after_change, people_on
from kesu.cases.events import EventType
from kesu.cases.models import Case, CaseCrisis, CaseLink, CaseMerge, LinkKind, LinkSettings
from kesu.core import audit
from kesu.core.errors import Conflict, Forbidden, KesuError, ValidationFailed
from kesu.org.choices import DepartmentKind, Role
from kesu.org.models import User
from kesu.org.roles import Cap, has_cap
from kesu.triage.core import PRIORITY_ORDER
from kesu.triage.core.priority import step_up
from kesu.triage.related import Related, find_related


class LinkEvent:
    """Case event types written here (the timeline labels live in ``kesu.console.timeline``)."""

    LINKED = "case.linked"
    MERGED = "case.merged"
    CRISIS = "case.crisis"
    CRISIS_RESOLVED = "case.crisis_resolved"


#: Who may flag a crisis from the case page: everyone who works cases, and top management.
CRISIS_FLAGGERS = frozenset({Role.INTAKE_AGENT, Role.HANDLER, Role.DEPARTMENT_HEAD, Role.COORDINATOR,
                             Role.CS_SUPERVISOR, Role.QUALITY_ENGINEER, Role.EXECUTIVE, Role.ADMIN})
#: Who may declare a crisis over, besides the members of its team.
CRISIS_RESOLVERS = frozenset({Role.CS_SUPERVISOR, Role.EXECUTIVE, Role.ADMIN})


@dataclass(frozen=True)
class LinkResult:
    """What intake linked: the relations found, the links new this time, the priority change."""

    related: list[Related] = field(default_factory=list)
    created: int = 0
    repeats: int = 0
    duplicates: int = 0
    same_batch: int = 0
    priority: tuple[str, str] | None = None  # (old, new) when a repeat raised it


def repeat_priority(priority: str, repeats: int) -> str:
    """The priority after ``repeats`` earlier complaints: one step up, three or more urgent.

    The same rule as ``kesu.triage.core.priority.combine_priority``; an empty priority counts
    as general. Never lowers.
    """
    current = priority if priority in PRIORITY_ORDER else PRIORITY_ORDER[0]
    if repeats >= 3:
        return PRIORITY_ORDER[-1]
    return step_up(current) if repeats >= 1 else current


def do_link_related(
    case: Case, *, at: datetime, actor: User | None = None, raise_priority: bool = True,
    cfg: LinkSettings | None = None, found: list[Related] | None = None, new_case: bool = False,
) -> LinkResult:
    """Link ``case`` to its repeats, possible duplicates and open cases of the same batch.

    Called by intake inside its transaction, after triage. Rerunning is harmless: existing
    links are kept, and only new ones are written, announced and counted. When at least one
    new repeat is found and ``raise_priority`` is true, the priority goes up (``repeat_priority``)
    with a ``case.classified`` event; pass ``raise_priority=False`` when the triage suggestion
    already took ``repeat_count(case)`` into account. Praise is never raised.

    ``found`` is ``find_related(case)`` when the caller already has it (intake computes it once
    for triage and links). ``new_case``: the caller is intake, whose own ``after_change`` follows,
    so a raised priority does not sync the clocks a second time.
    """
    if found is None:
        found = find_related(case, cfg=cfg)
    # Intake's new case has no links yet, and intake's transaction fails as a whole: no read of
    # existing links, no savepoint, and the links go in with one COPY / multi-row INSERT.
    with transaction.atomic(savepoint=not new_case):
        if new_case:
            new = found
            insert_tuples(CaseLink, _LINK_COLUMNS, [
                (case.pk, r.case_id, r.kind, r.score, at, actor.pk if actor else None) for r in new])
        else:
            existing = set(CaseLink.objects.filter(case=case).values_list("other_id", "kind"))
            new = [r for r in found if (r.case_id, r.kind) not in existing]
            CaseLink.objects.bulk_create(
                [CaseLink(case=case, other_id=r.case_id, kind=r.kind, score=r.score, created_at=at,
                          created_by=actor) for r in new],
                ignore_conflicts=True,
            )
        if not new:
            return LinkResult(related=found)
        by_kind = {k: [r.number for r in new if r.kind == k] for k in LinkKind.values}
        events.append(case, LinkEvent.LINKED, actor=actor, data={"new": {
            "repeat_of": by_kind[LinkKind.REPEAT], "duplicate_of": by_kind[LinkKind.POSSIBLE_DUPLICATE],
            "same_batch_as": by_kind[LinkKind.SAME_BATCH],
        }})
        repeats = len(by_kind[LinkKind.REPEAT])
        change = None
        if raise_priority and repeats and case.kind != Kind.PRAISE:
            change = _raise_priority(case, repeats, at=at, actor=actor, new_case=new_case)
    return LinkResult(related=found, created=len(new), repeats=repeats,
                      duplicates=len(by_kind[LinkKind.POSSIBLE_DUPLICATE]),
                      same_batch=len(by_kind[LinkKind.SAME_BATCH]), priority=change)


#: The columns ``do_link_related`` writes for intake's new case (``insert_tuples``).
_LINK_COLUMNS = ("case_id", "other_id", "kind", "score", "created_at", "created_by_id")


def repeat_reason(repeats: int) -> str:
    """The reason stored with a raise, in the installation's language (event data is not re-translated)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Repeat complaint: {count} earlier cases of this customer on the same issue.").format(
            count=repeats)


def _raise_priority(case: Case, repeats: int, *, at: datetime, actor: User | None,
                    new_case: bool = False) -> tuple[str, str] | None:
    """Write the raised priority and its ``case.classified`` event; the SLA clocks follow it
    (through ``after_change``, unless ``new_case``: intake's own ``after_change`` follows).

    Intake's new case (``new_case``) is the instance that holds the stored row — nobody else
    can write a case before its transaction commits — so its priority is not read again and
    the new one rides in the event's head ``UPDATE`` (``save_fields``).
    """
    held = new_case and events.head_held(case)
    if held:
        old = case.priority
    else:
        old = Case.objects.select_for_update().values_list("priority", flat=True).get(pk=case.pk)
    new = repeat_priority(old, repeats)
    if new == old:
        return None
    if not held:
        Case.objects.filter(pk=case.pk).update(priority=new, updated_at=timezone.now())
    case.priority = new
    events.append(case, EventType.CLASSIFIED, actor=actor, data={
        "old": {"priority": old}, "new": {"priority": new}, "reason": repeat_reason(repeats),
        "repeats": repeats,
    }, save_fields=["priority", "updated_at"] if held else ())
    if not new_case:
        after_change(case, at=at, trigger="classified")
    return old, new


# --- merge ------------------------------------------------------------------------------

def merge_refusal(duplicate: Case, into: Case, user: User) -> KesuError | None:
    """Why ``user`` cannot merge ``duplicate`` into ``into`` now (the error to raise), or None.

    Pages use it to offer the action only where it would succeed; the action raises it.
    """
    if duplicate.pk == into.pk:
        return ValidationFailed(_("A case cannot be merged into itself."), code="merge_into_self",
                                fields={"into": [_("Choose another case.")]})
    if into.status in FINISHED_STATUSES:
        return Conflict(_("Case {number} is finished; please merge into an open case.").format(
            number=into.number), code="merge_into_finished")
    move = workflow.move_for(duplicate.status, Status.REJECTED, duplicate.resume_status)
    if move is None:
        return Conflict(_("A case in status {status} can no longer be merged.").format(
            status=Status(duplicate.status).label), code="merge_not_possible")
    if user.role not in move.roles:
        return Forbidden(_("Your role may not merge cases."), code="merge_not_allowed")
    return None


def do_merge_case(
    duplicate: Case, *, into: Case, reason: str = "", actor: User, at: datetime | None = None
) -> CaseMerge:
    """Fold ``duplicate`` into ``into``: record the merge, link both, reject the duplicate.

    Both cases get a ``case.merged`` event naming the other; the duplicate is rejected with
    the reason "合并到 <number>" (in the installation's language) through
    ``do_transition_case``, so the workflow table, roles and authority limits apply.
    """
    ensure_visible(actor, duplicate)
    ensure_visible(actor, into)
    at = at or timezone.now()
    reason = reason.strip()
    with transaction.atomic():
        locked = {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=[duplicate.pk, into.pk])
                  .order_by("pk")}
        dup, kept = locked[duplicate.pk], locked[into.pk]
        if CaseMerge.objects.filter(duplicate=dup).exists():
            raise Conflict(_("This case was already merged."), code="already_merged")
        refusal = merge_refusal(dup, kept, actor)
        if refusal is not None:
            raise refusal
        merge = CaseMerge.objects.create(duplicate=dup, kept=kept, by=actor, at=at, reason=reason)
        CaseLink.objects.get_or_create(case=dup, other=kept, kind=LinkKind.MERGED,
                                       defaults={"created_at": at, "created_by": actor})
        events.append(dup, LinkEvent.MERGED, actor=actor, data={"new": {"merged_into": kept.number},
                                                                "reason": reason})
        events.append(kept, LinkEvent.MERGED, actor=actor, data={"new": {"merged_from": dup.number},
                                                                 "reason": reason})
        with translation.override(settings.LANGUAGE_CODE):
            why = _("Merged into {number}").format(number=kept.number)
        do_transition_case(dup, Status.REJECTED, reason=why, actor=actor, at=at)
    return merge


# --- crisis -----------------------------------------------------------------------------

def _ancestor_paths(path: str) -> list[str]:
    """"/HQ/EAST/S1/" → ["/HQ/", "/HQ/EAST/", "/HQ/EAST/S1/"]: the units whose scope holds it."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def crisis_team(case: Case, *, cfg: LinkSettings | None = None) -> list[User]:
    """The crisis team of TR-7: the configured roles at head office (executive, customer-service
    supervisor) and the department heads of the configured department kinds (quality, technical)
    whose scope covers the case. Active users only; one query (plus the settings row).
    """
    cfg = cfg or LinkSettings.current()
    heads = Q(role=Role.DEPARTMENT_HEAD, department__kind__in=list(cfg.crisis_department_kinds),
              org_unit__path__in=_ancestor_paths(case.org_unit.path))
    top = Q(role__in=list(cfg.crisis_roles), org_unit__parent__isnull=True, org_unit__isnull=False)
    return list(User.objects.filter(heads | top, is_active=True).order_by("role", "username"))


def do_flag_crisis(
    case: Case, *, reason: str, actor: User | None, at: datetime | None = None
) -> CaseCrisis:
    """Flag ``case`` as a crisis, record its team and notify them (``case.crisis``).

    ``actor=None`` is triage (``Triage.crisis`` at intake). A case with an open crisis keeps
    it: the call returns the open one and writes nothing, so a retry is harmless.
    """
    if actor is not None:
        ensure_visible(actor, case)
        if actor.role not in CRISIS_FLAGGERS:
            raise Forbidden(_("Your role may not flag a crisis."), code="crisis_not_allowed")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(_("Please give a reason for the crisis."), code="reason_required",
                               fields={"reason": [_("A reason is required.")]})
    at = at or timezone.now()
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").first()
        crisis = CaseCrisis.objects.filter(case=case, resolved_at__isnull=True).first()
        if crisis is not None:
            return crisis
        team = crisis_team(case)
        crisis = CaseCrisis.objects.create(case=case, reason=reason, raised_by=actor, at=at)
        crisis.team.set(team)
        events.append(case, LinkEvent.CRISIS, actor=actor, data={
            "reason": reason, "team": [u.username for u in team],
        })
        after_change(case, at=at, trigger=None, event=LinkEvent.CRISIS, actor=actor,
                     recipients=[*team, *people_on(case)],
                     context={"reason": reason, "team": "、".join(str(u) for u in team)})
    return crisis


def can_resolve_crisis(user: User, crisis: CaseCrisis) -> bool:
    """Supervisors, executives and admins, or a member of the crisis team (uses a prefetched team)."""
    return user.role in CRISIS_RESOLVERS or any(u.pk == user.pk for u in crisis.team.all())


def do_resolve_crisis(
    case: Case, *, note: str = "", actor: User, at: datetime | None = None
) -> CaseCrisis:
    """Declare the open crisis of ``case`` over; supervisors, executives, admins or its team."""
    ensure_visible(actor, case)
    at = at or timezone.now()
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").first()
        crisis = CaseCrisis.objects.filter(case=case, resolved_at__isnull=True).first()
        if crisis is None:
            raise Conflict(_("This case has no open crisis."), code="no_open_crisis")
        if not can_resolve_crisis(actor, crisis):
            raise Forbidden(_("Your role may not resolve a crisis."), code="crisis_not_allowed")
        crisis.resolved_at, crisis.resolved_by, crisis.resolution = at, actor, note.strip()
        crisis.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        events.append(case, LinkEvent.CRISIS_RESOLVED, actor=actor, data={"note": note.strip()})
    return crisis


# --- policy -------------------------------------------------------------------------------

@dataclass(frozen=True)
class LinkSettingsInput:
    window_days: int = 30
    repeat_threshold: float = 0.3
    duplicate_threshold: float = 0.8
    duplicate_window_days: int = 3
    max_candidates: int = 200
    max_batch_links: int = 50
    crisis_roles: tuple[str, ...] = (Role.EXECUTIVE, Role.CS_SUPERVISOR)
    crisis_department_kinds: tuple[str, ...] = (DepartmentKind.QUALITY, DepartmentKind.TECHNICAL)


def _settings_errors(data: LinkSettingsInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name in ("repeat_threshold", "duplicate_threshold"):
        if not 0 < getattr(data, name) <= 1:
            errors[name] = [_("Between 0 and 1.")]
    if data.duplicate_threshold < data.repeat_threshold:
        errors.setdefault("duplicate_threshold", []).append(_("At least the repeat similarity."))
    for name, top in (("window_days", 366), ("duplicate_window_days", 366), ("max_candidates", 2000),
                      ("max_batch_links", 1000)):
        if not 0 < getattr(data, name) <= top:
            errors[name] = [_("Between 1 and {top}.").format(top=top)]
    if bad := [r for r in data.crisis_roles if r not in Role.values]:
        errors["crisis_roles"] = [_("Unknown roles: {items}.").format(items=", ".join(bad))]
    if bad := [k for k in data.crisis_department_kinds if k not in DepartmentKind.values]:
        errors["crisis_department_kinds"] = [
            _("Unknown department kinds: {items}.").format(items=", ".join(bad))]
    return errors


def do_save_link_settings(data: LinkSettingsInput, *, actor: User) -> LinkSettings:
    """Store the policy of repeat detection and crisis teams (administrators; audited)."""
    if not has_cap(actor.role, Cap.ADMIN):
        raise Forbidden(_("Only administrators may change these settings."))
    if errors := _settings_errors(data):
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    values = {**asdict(data), "crisis_roles": list(data.crisis_roles),
              "crisis_department_kinds": list(data.crisis_department_kinds)}
    with transaction.atomic():
        row, _created = LinkSettings.objects.update_or_create(pk=1, defaults=values)
        audit.record("link_settings.saved", actor=actor, object_type="link_settings", object_id=1,
                     data=values)
    return row
