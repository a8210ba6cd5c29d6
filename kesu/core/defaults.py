"""Defaults ``kesu init`` installs: the root org unit, the administrator, the general categories.

Idempotent: running it again changes nothing that exists.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core.management import call_command
from django.db import transaction

from kesu.cases.models import Category
from kesu.org.actions import NewUser, do_create_org_unit, do_create_user
from kesu.org.choices import Role, UnitKind
from kesu.org.models import OrgUnit, User

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
        generated = None
        if not User.objects.filter(username="admin").exists():
            password = admin_password or secrets.token_urlsafe(12)
            generated = None if admin_password else password
            do_create_user(NewUser(username="admin", role=Role.ADMIN, org_unit_code=ROOT_CODE,
                                   password=password, display_name="系统管理员"), actor=None)
    return InitResult(admin_password=generated)
