"""Admins edit the workflow policies: routing rules (WF-2) and authority limits (WF-3).

Policies are data (ARCHITECTURE rule 7); every change is written to the global audit chain.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from kesu.cases.choices import AssignmentMethod, Kind, Severity
from kesu.cases.models import AuthorityLimit, Category, RoutingRule
from kesu.core import audit
from kesu.core.errors import Forbidden, ValidationFailed
from kesu.org.choices import Role
from kesu.org.models import Department, OrgUnit, User
from kesu.org.roles import Cap, has_cap


def _require_admin(actor: User) -> None:
    if not has_cap(actor.role, Cap.ADMIN):
        raise Forbidden(_("Only administrators may change policies."))


@dataclass(frozen=True)
class RuleInput:
    name: str
    department: str  # code
    position: int = 100
    kind: str = ""
    category: str = ""  # code
    product_contains: str = ""
    org_unit: str = ""  # code
    method: str = AssignmentMethod.LEAST_OPEN
    is_active: bool = True


def do_save_routing_rule(data: RuleInput, *, actor: User, rule: RoutingRule | None = None) -> RoutingRule:
    """Create a routing rule, or change ``rule``."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    department = Department.objects.filter(code=data.department).first()
    if department is None:
        errors["department"] = [_("No department has this code.")]
    category = Category.objects.filter(code=data.category).first() if data.category else None
    if data.category and category is None:
        errors["category"] = [_("No category has this code.")]
    unit = OrgUnit.objects.filter(code=data.org_unit).first() if data.org_unit else None
    if data.org_unit and unit is None:
        errors["org_unit"] = [_("No org unit has this code.")]
    if data.kind and data.kind not in Kind.values:
        errors["kind"] = [_("Unknown value.")]
    if data.method not in (AssignmentMethod.ROUND_ROBIN, AssignmentMethod.LEAST_OPEN):
        errors["method"] = [_("Unknown value.")]
    if not data.name.strip():
        errors["name"] = [_("Please give the rule a name.")]
    if errors or department is None:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    with transaction.atomic():
        rule = rule or RoutingRule()
        rule.name, rule.position, rule.kind = data.name.strip(), data.position, data.kind
        rule.category, rule.org_unit, rule.department = category, unit, department
        rule.product_contains = data.product_contains.strip()
        rule.method, rule.is_active = data.method, data.is_active
        rule.save()
        audit.record("routing_rule.saved", actor=actor, object_type="routing_rule", object_id=str(rule.pk),
                     data=asdict(data))
    return rule


def do_set_authority_limit(role: str, max_severity: str, *, actor: User) -> AuthorityLimit:
    _require_admin(actor)
    if role not in Role.values or max_severity not in Severity.values:
        raise ValidationFailed(_("Please correct the marked fields."),
                               fields={"max_severity": [_("Unknown value.")]})
    with transaction.atomic():
        limit, _created = AuthorityLimit.objects.update_or_create(
            role=role, defaults={"max_severity": max_severity})
        audit.record("authority_limit.saved", actor=actor, object_type="authority_limit", object_id=role,
                     data={"max_severity": max_severity})
    return limit
