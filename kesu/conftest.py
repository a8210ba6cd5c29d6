"""Shared fixtures: an org tree, users of every role, API clients. Build data through actions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kesu.cases.actions import NewCase, ProductInput, do_create_case
from kesu.cases.models import Case
from kesu.core.defaults import install_defaults
from kesu.customers.actions import CustomerInput
from kesu.org.actions import NewUser, do_create_org_unit, do_create_token, do_create_user
from kesu.org.choices import Ownership, UnitKind
from kesu.org.models import OrgUnit, User
from kesu.triage.models import TriageSettings


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # PBKDF2 costs ~0.2 s per user; tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A per-test in-memory cache: rate limits and scope caches never leak between tests.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": str(tmp_path)}}


def english_client(**defaults: Any) -> Client:
    """A test client that chose English with the language switch (pages default to zh-Hans)."""
    client = Client(**defaults)
    client.cookies["kesu_language"] = "en"
    return client


@pytest.fixture
def org(db: Any) -> dict[str, OrgUnit]:
    """HQ → regions EAST, SOUTH → stores; S-E2 is a franchise."""
    install_defaults("admin-pass-123")
    # Suggestions are stored but not applied: tests of other features must not depend on what
    # the model guesses from their sample texts. Triage tests switch it back on.
    TriageSettings.objects.update_or_create(pk=1, defaults={"auto_apply": False})
    hq = OrgUnit.objects.get(code="HQ")
    east = do_create_org_unit(code="EAST", name="华东大区", kind=UnitKind.REGION, parent=hq, actor=None)
    south = do_create_org_unit(code="SOUTH", name="华南大区", kind=UnitKind.REGION, parent=hq, actor=None)
    s_e1 = do_create_org_unit(code="S-E1", name="上海南京路店", kind=UnitKind.STORE, parent=east, actor=None)
    s_e2 = do_create_org_unit(code="S-E2", name="杭州西湖加盟店", kind=UnitKind.STORE, parent=east,
                              ownership=Ownership.FRANCHISE, actor=None)
    s_s1 = do_create_org_unit(code="S-S1", name="广州天河店", kind=UnitKind.STORE, parent=south, actor=None)
    return {"HQ": hq, "EAST": east, "SOUTH": south, "S-E1": s_e1, "S-E2": s_e2, "S-S1": s_s1}


@pytest.fixture
def make_user(org: dict[str, OrgUnit]) -> Callable[..., User]:
    counter = {"n": 0}

    def make(role: str = "intake_agent", unit: str = "HQ", password: str = "pass-1234",
             department: str | None = None) -> User:
        counter["n"] += 1
        return do_create_user(NewUser(username=f"{role}{counter['n']}", role=role, org_unit_code=unit,
                                      password=password, department_code=department), actor=None)

    return make


class ApiClient:
    """A Django test client that sends a bearer token and JSON."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.token = do_create_token(user, actor=None)
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def get(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.client.get(path, params or {}, **kw)

    def post(self, path: str, data: Any, **kw: Any) -> Any:
        return self.client.post(path, json.dumps(data), content_type="application/json", **kw)

    def put(self, path: str, data: Any, **kw: Any) -> Any:
        return self.client.put(path, json.dumps(data), content_type="application/json", **kw)


@pytest.fixture
def api_client() -> Callable[[User], ApiClient]:
    return ApiClient


@pytest.fixture
def make_case(org: dict[str, OrgUnit]) -> Callable[..., Case]:
    def make(unit: str = "HQ", actor: User | None = None, **overrides: Any) -> Case:
        fields: dict[str, Any] = {
            "kind": "complaint", "channel": "phone", "title": "包装破损",
            "description": "收到的茶叶包装破损，产品发霉了", "org_unit": unit,
            "customer": CustomerInput(name="张三", phone="13800001111"),
            "product": ProductInput(name="西湖龙井", batch="B20260901"),
            "demands": ["refund"],
        }
        fields.update(overrides)
        return do_create_case(NewCase(**fields), actor=actor).case

    return make
