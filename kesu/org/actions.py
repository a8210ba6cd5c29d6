"""Writes to the org model: units, users, tokens. Each is audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.core import audit
from kesu.core.errors import Conflict, NotFound, ValidationFailed
from kesu.org.choices import Ownership, Role, UnitKind
from kesu.org.models import ApiToken, Department, OrgUnit, User
from kesu.org.scope import unit_path


def do_create_org_unit(
    *, code: str, name: str, kind: str, parent: OrgUnit | None,
    ownership: str = Ownership.DIRECT, timezone_name: str = "Asia/Shanghai", actor: User | None,
) -> OrgUnit:
    if kind not in UnitKind.values:
        raise ValidationFailed(_("Unknown org unit kind."), fields={"kind": [_("Unknown value.")]})
    if parent is None and OrgUnit.objects.filter(parent__isnull=True).exists():
        raise ValidationFailed(_("There is already a root org unit; choose a parent."))
    with transaction.atomic():
        try:
            unit = OrgUnit.objects.create(
                code=code, name=name, kind=kind, parent=parent, ownership=ownership,
                timezone=timezone_name, path=unit_path(parent, code),
            )
        except IntegrityError as exc:
            raise Conflict(_("An org unit with this code already exists.")) from exc
        audit.record("org_unit.created", actor=actor, object_type="org_unit", object_id=code,
                     data={"name": name, "kind": kind, "parent": parent.code if parent else None})
    return unit


def do_create_department(
    *, code: str, name: str, kind: str, org_unit: OrgUnit, actor: User | None
) -> Department:
    with transaction.atomic():
        try:
            dept = Department.objects.create(code=code, name=name, kind=kind, org_unit=org_unit)
        except IntegrityError as exc:
            raise Conflict(_("A department with this code already exists.")) from exc
        audit.record("department.created", actor=actor, object_type="department", object_id=code,
                     data={"name": name, "kind": kind})
    return dept


@dataclass(frozen=True)
class NewUser:
    username: str
    role: str
    org_unit_code: str
    password: str | None = None
    display_name: str = ""
    email: str = ""
    phone: str = ""
    department_code: str | None = None


def do_create_user(data: NewUser, *, actor: User | None) -> User:
    if data.role not in Role.values:
        raise ValidationFailed(
            _("Unknown role {role}. Choose one of: {roles}.").format(
                role=data.role, roles=", ".join(Role.values)
            ),
            fields={"role": [_("Unknown value.")]},
        )
    unit = OrgUnit.objects.filter(code=data.org_unit_code).first()
    if unit is None:
        raise NotFound(
            _("No org unit has the code {code}.").format(code=data.org_unit_code),
            fields={"org_unit": [_("Unknown value.")]},
        )
    dept = None
    if data.department_code:
        dept = Department.objects.filter(code=data.department_code).first()
        if dept is None:
            raise NotFound(_("No department has the code {code}.").format(code=data.department_code))
    with transaction.atomic():
        if User.objects.filter(username=data.username).exists():
            raise Conflict(_("The user name {name} is taken.").format(name=data.username))
        user = User(
            username=data.username, role=data.role, org_unit=unit, department=dept,
            display_name=data.display_name, email=data.email, phone=data.phone,
            is_staff=data.role == Role.ADMIN, is_superuser=data.role == Role.ADMIN,
        )
        if data.password:
            user.set_password(data.password)
        else:
            user.set_unusable_password()
        try:
            user.save()
        except IntegrityError as exc:
            raise Conflict(_("The user name {name} is taken.").format(name=data.username)) from exc
        audit.record("user.created", actor=actor, object_type="user", object_id=user.username,
                     data={"role": data.role, "org_unit": unit.code})
    return user


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def do_create_token(user: User, *, name: str = "", actor: User | None) -> str:
    """Create a token and return its secret; only the digest is kept."""
    secret = "ks_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.create(user=user, name=name, prefix=secret[:10], digest=token_digest(secret))
        audit.record("token.created", actor=actor, object_type="user", object_id=user.username,
                     data={"prefix": secret[:10], "name": name})
    return secret


def user_for_token(secret: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user", "user__org_unit")
        .filter(digest=token_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
