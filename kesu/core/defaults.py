"""Defaults ``kesu init`` installs: the root org unit, the administrator, the general categories.

Idempotent: running it again changes nothing that exists.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core.management import call_command
from django.db import transaction

from kesu.cases.models import AuthorityLimit, Category
from kesu.org.actions import NewUser, do_create_org_unit, do_create_user
from kesu.org.choices import Role, UnitKind
from kesu.org.models import OrgUnit, User
from kesu.sla.defaults import install_sla_defaults

ROOT_CODE = "HQ"

#: TR-1 general preset: (code, 中文, English).
GENERAL_CATEGORIES = [
    ("product_quality", "产品质量", "Product quality"),
    ("service_attitude", "服务态度", "Service attitude"),
    ("delivery", "物流配送", "Delivery / logistics"),
    ("packaging", "包装", "Packaging"),
    ("price", "价格与促销", "Price & promotion"),
    ("after_sales", "售后服务", "After-sales"),
    ("other", "其他", "Other"),
]


#: WF-3: the most severe case each role may approve, close or reject on its own. Beyond it the
#: case goes up: department head → quality (serious) → top management (special).
AUTHORITY_LIMITS = {
    Role.INTAKE_AGENT: "minor",
    Role.HANDLER: "minor",
    Role.COORDINATOR: "major",
    Role.DEPARTMENT_HEAD: "major",
    Role.CS_SUPERVISOR: "major",
    Role.QUALITY_ENGINEER: "serious",
    Role.EXECUTIVE: "special",
    Role.ADMIN: "special",
}


@dataclass(frozen=True)
class InitResult:
    admin_password: str | None  # set only when generated now, to be printed once


def install_defaults(admin_password: str | None) -> InitResult:
    call_command("createcachetable", verbosity=0)
    with transaction.atomic():
        root = OrgUnit.objects.filter(code=ROOT_CODE).first()
        if root is None:
            root = do_create_org_unit(code=ROOT_CODE, name="总部", kind=UnitKind.HEAD_OFFICE,
                                      parent=None, actor=None)
        for i, (code, zh, en) in enumerate(GENERAL_CATEGORIES):
            Category.objects.get_or_create(code=code, defaults={"name": zh, "name_en": en, "sort_order": i})
        for role, severity in AUTHORITY_LIMITS.items():
            AuthorityLimit.objects.get_or_create(role=role, defaults={"max_severity": severity})
        generated = None
        if not User.objects.filter(username="admin").exists():
            password = admin_password or secrets.token_urlsafe(12)
            generated = None if admin_password else password
            do_create_user(NewUser(username="admin", role=Role.ADMIN, org_unit_code=ROOT_CODE,
                                   password=password, display_name="系统管理员"), actor=None)
    install_sla_defaults()
    return InitResult(admin_password=generated)
