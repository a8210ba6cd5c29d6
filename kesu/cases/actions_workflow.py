"""Moving a case along WF-1 and giving it to a department and a person (WF-2, WF-3).

``do_transition_case`` is the one action that changes ``Case.status`` after intake; the table
of allowed moves is ``kesu.cases.workflow``. ``do_assign_case`` routes by the admins' rules
and picks a person round robin or by fewest open cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.cases import events, workflow
from kesu.cases.access import ensure_visible
from kesu.cases.choices import FINISHED_STATUSES, AssignmentMethod, Severity, Status
from kesu.cases.effects import after_change, people_on
from kesu.cases.events import EventType
from kesu.cases.models import AssignmentCursor, AuthorityLimit, Case, Category, RoutingRule
from kesu.core.errors import Conflict, Forbidden, ValidationFailed
from kesu.org.choices import Role
from kesu.org.models import Department, User
from kesu.org.scope import visible_unit_ids
from kesu.sla.actions import do_escalate_case

#: Roles that can own (work on) a case.
OWNER_ROLES = frozenset({Role.HANDLER, Role.DEPARTMENT_HEAD, Role.COORDINATOR, Role.CS_SUPERVISOR,
                         Role.QUALITY_ENGINEER, Role.INTAKE_AGENT})
_SEVERITY_RANK = {code: i for i, code in enumerate(Severity.values)}


def role_names(roles: list[str]) -> str:
    return "、".join(str(Role(r).label) for r in roles)


def _lock(case: Case) -> Case:
    """The case under its row lock; its events are then appended with ``head_locked=True``."""
    return events.lock_case(case)


def _check_authority(case: Case, actor: User, target: str) -> None:
    """Refuse a move beyond the actor's authority limit, naming the roles that may make it."""
    if target not in workflow.AUTHORITY_TARGETS or not case.severity:
        return
    limits = dict(AuthorityLimit.objects.values_list("role", "max_severity"))
    if actor.role not in limits:
        return  # no limit configured for this role
    need = _SEVERITY_RANK.get(case.severity, 0)
    if _SEVERITY_RANK.get(limits[actor.role], 0) >= need:
        return
    able = [r for r, sev in limits.items() if _SEVERITY_RANK.get(sev, 0) >= need]
    raise Forbidden(
        _("A case of severity {severity} is beyond your authority. It needs: {roles}. "
          "You can escalate the case instead.").format(
            severity=Severity(case.severity).label, roles=role_names(able) or _("nobody is configured")
        ),
        code="beyond_authority",
    )


def _apply_status(case: Case, target: str, *, actor: User | None, reason: str, at: datetime) -> None:
    """Write the new status and its event on a locked case; callers check the move first."""
    source = case.status
    if target in workflow.DETOURS:
        case.resume_status = source if source not in workflow.DETOURS else case.resume_status
    elif source in workflow.DETOURS:
        case.resume_status = ""
    case.status, case.status_changed_at = target, at
    events.append(case, EventType.STATUS_CHANGED, actor=actor, head_locked=True, data={
        "old": {"status": source}, "new": {"status": target}, "reason": reason,
    }, save_fields=["status", "status_changed_at", "resume_status", "updated_at"])


def do_transition_case(
    case: Case, to: str, *, reason: str = "", actor: User, at: datetime | None = None
) -> Case:
    """Move ``case`` to status ``to``, or refuse with a coded, translated error.

    Moving to the status the case already has is a no-op, so a retried request is harmless.
    """
    ensure_visible(actor, case)
    reason = reason.strip()
    if to not in Status.values:
        raise ValidationFailed(_("Unknown status {status}.").format(status=to), code="unknown_status",
                               fields={"to": [_("Unknown status.")]})
    at = at or timezone.now()
    with transaction.atomic():
        locked = _lock(case)
        if locked.status == to:
            return locked
        move = workflow.move_for(locked.status, to, locked.resume_status)
        if move is None:
            raise Conflict(
                _("A case in status {source} cannot move to {target}.").format(
                    source=Status(locked.status).label, target=Status(to).label),
                code="illegal_transition",
            )
        if actor.role not in move.roles:
            raise Forbidden(
                _("Your role may not move a case to {target}. It needs: {roles}.").format(
                    target=Status(to).label, roles=role_names(sorted(move.roles))),
                code="transition_not_allowed",
            )
        if move.needs_reason and not reason:
            raise ValidationFailed(_("Please give a reason for this step."), code="reason_required",
                                   fields={"reason": [_("A reason is required.")]})
        _check_authority(locked, actor, to)
        if to == Status.ASSIGNED and locked.department_id is None and locked.owner_id is None:
            raise ValidationFailed(_("Assign the case to a department or a person first."),
                                   code="not_assigned")
        _take_if_unowned(locked, actor, to)
        _apply_status(locked, to, actor=actor, reason=reason, at=at)
        if to == Status.ESCALATED:
            do_escalate_case(locked, reason=reason, actor=actor, at=at)
        after_change(locked, at=at, trigger="status", event="case.status_changed", actor=actor,
                     recipients=people_on(locked),
                     context={"old_status": move.source, "new_status": to, "reason": reason,
                              "actor_name": str(actor)})
    return locked


#: Moves after which a case cannot stay without an owner.
_NEEDS_OWNER = frozenset({Status.INVESTIGATING, Status.SOLUTION_PROPOSED, Status.IMPLEMENTING, Status.REPLIED,
                          Status.CALLBACK, Status.CLOSED})


def _take_if_unowned(case: Case, actor: User, target: str) -> None:
    """首问负责制: whoever answers an unowned case themselves (e.g. a praise at first contact) owns it."""
    if case.owner_id is not None or target not in _NEEDS_OWNER or not _can_own(actor, case):
        return
    old = _assignment_snapshot(case)
    case.owner = actor
    case.department = case.department or actor.department
    events.append(case, EventType.ASSIGNED, actor=actor, head_locked=True, data={
        "old": old, "new": _assignment_snapshot(case), "reason": "", "method": AssignmentMethod.MANUAL,
    }, save_fields=["owner", "department", "updated_at"])


@dataclass(frozen=True)
class Assignment:
    """Who should work on a case. Empty department and owner mean: route by the rules."""

    department: str = ""  # department code
    owner: str = ""  # username
    coordinator: str = ""  # username; only changed when given
    reason: str = ""


def matching_rule(case: Case) -> RoutingRule | None:
    """The first active routing rule whose every given criterion matches ``case``."""
    category_codes = _category_ancestry(case.category)
    product = case.product_name.lower()
    for rule in RoutingRule.objects.filter(is_active=True).select_related("category", "org_unit"):
        if rule.kind and rule.kind != case.kind:
            continue
        if rule.category_id and rule.category.code not in category_codes:  # type: ignore[union-attr]
            continue
        if rule.product_contains and rule.product_contains.lower() not in product:
            continue
        if rule.org_unit_id and not case.org_unit.path.startswith(rule.org_unit.path):  # type: ignore[union-attr]
            continue
        return rule
    return None


def _category_ancestry(category: Category | None) -> set[str]:
    codes: set[str] = set()
    while category is not None and category.code not in codes:
        codes.add(category.code)
        category = category.parent
    return codes


def _can_own(user: User, case: Case) -> bool:
    ids = visible_unit_ids(user)
    return user.is_active and user.role in OWNER_ROLES and (ids is None or case.org_unit_id in ids)


def pick_member(department: Department, case: Case, method: str) -> User | None:
    """A member of ``department`` who can work ``case``: round robin or fewest open cases.

    The department row is locked by the caller, so two concurrent assignments queue here.
    """
    members = User.objects.filter(department=department, is_active=True, role__in=OWNER_ROLES)
    if method == AssignmentMethod.ROUND_ROBIN:
        last = dict(AssignmentCursor.objects.filter(department=department)
                    .values_list("user_id", "last_assigned_at"))
        ordered = sorted(members, key=lambda u: (u.pk in last, last.get(u.pk), u.username))
    else:
        ordered = list(members.annotate(open_count=Count(
            "owned_cases", filter=~Q(owned_cases__status__in=FINISHED_STATUSES)
        )).order_by("open_count", "username"))
    return next((u for u in ordered if _can_own(u, case)), None)


def _resolve(data: Assignment, case: Case) -> tuple[Department | None, User | None, str]:
    """Department, owner and the method used, from explicit choices or the routing rules."""
    errors: dict[str, list[str]] = {}
    department = owner = None
    method: str = AssignmentMethod.MANUAL
    if data.owner:
        owner = User.objects.select_related("department").filter(username=data.owner).first()
        if owner is None or not _can_own(owner, case):
            errors["owner"] = [_("This person cannot work on this case.")]
    if data.department:
        department = Department.objects.filter(code=data.department).first()
        if department is None:
            errors["department"] = [_("No department has this code.")]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    if owner is not None and department is None:
        department = owner.department
    if department is None:
        rule = matching_rule(case)
        if rule is None:
            raise ValidationFailed(_("No routing rule matches this case. Please choose a department."),
                                   code="no_routing_rule", fields={"department": [_("Required.")]})
        department, method = rule.department, rule.method
    if owner is None:
        Department.objects.select_for_update().filter(pk=department.pk).first()
        if method == AssignmentMethod.MANUAL:
            method = AssignmentMethod.LEAST_OPEN
        owner = pick_member(department, case, method)
    return department, owner, method


def do_assign_case(case: Case, data: Assignment, *, actor: User, at: datetime | None = None) -> Case:
    """Give the case to a department and a person; a reassignment needs a reason."""
    ensure_visible(actor, case)
    if actor.role not in workflow.ASSIGNERS:
        raise Forbidden(_("Your role may not assign cases."), code="assign_not_allowed")
    at = at or timezone.now()
    with transaction.atomic():
        locked = _lock(case)
        if locked.status in FINISHED_STATUSES:
            raise Conflict(_("A finished case cannot be reassigned."), code="case_finished")
        if locked.owner_id and not data.reason.strip():
            raise ValidationFailed(_("Please give a reason for the reassignment."), code="reason_required",
                                   fields={"reason": [_("A reason is required.")]})
        department, owner, method = _resolve(data, locked)
        coordinator = locked.coordinator
        if data.coordinator:
            coordinator = User.objects.filter(username=data.coordinator, is_active=True).first()
            if coordinator is None or not _can_own(coordinator, locked):
                raise ValidationFailed(_("Please correct the marked fields."), fields={
                    "coordinator": [_("This person cannot coordinate this case.")]})
        old = _assignment_snapshot(locked)
        locked.department, locked.owner, locked.coordinator = department, owner, coordinator
        new = _assignment_snapshot(locked)
        if new == old:
            locked.save(update_fields=["department", "owner", "coordinator", "updated_at"])
            return locked
        events.append(locked, EventType.ASSIGNED, actor=actor, head_locked=True, data={
            "old": old, "new": new, "reason": data.reason.strip(), "method": method,
        }, save_fields=["department", "owner", "coordinator", "updated_at"])
        if owner is not None and department is not None:
            AssignmentCursor.objects.update_or_create(
                department=department, user=owner, defaults={"last_assigned_at": at})
        if locked.status in (Status.NEW, Status.ACCEPTED, Status.REOPENED):
            _apply_status(locked, Status.ASSIGNED, actor=actor, reason=data.reason.strip(), at=at)
        after_change(locked, at=at, trigger="status", event="case.assigned", actor=actor,
                     recipients=[owner, coordinator],
                     context={"assignee": str(owner) if owner else "", "department": str(department or ""),
                              "method": method, "reason": data.reason.strip()})
    return locked


def _assignment_snapshot(case: Case) -> dict[str, str | None]:
    return {
        "department": case.department.code if case.department else None,
        "owner": case.owner.username if case.owner else None,
        "coordinator": case.coordinator.username if case.coordinator else None,
    }

