"""``kesu.core.sqlcache``: statements compiled once give what the ORM gives, for any arguments."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesu.cases.models import LinkSettings
from kesu.core import sqlcache
from kesu.org.choices import DepartmentKind, Role
from kesu.org.models import Department, OrgUnit

pytestmark = pytest.mark.django_db


def _unit_rows(code: str) -> list[tuple[Any, ...]]:
    return sqlcache.rows("test.unit_by_code", lambda c: OrgUnit.objects.filter(code=c).values_list(
        "code", "parent_id", "is_active"), code)


def test_rows_put_each_call_s_arguments_into_sql_compiled_once(org: dict[str, OrgUnit]) -> None:
    OrgUnit.objects.filter(code="S-E2").update(is_active=False)
    with mock.patch.object(sqlcache, "_compile", wraps=sqlcache._compile) as compile_:
        assert _unit_rows("EAST") == [("EAST", org["HQ"].pk, True)]
        # Converted as the ORM converts: a boolean, not SQLite's 0.
        assert _unit_rows("S-E2") == [("S-E2", org["EAST"].pk, False)]
        assert _unit_rows("NOPE") == []
    assert compile_.call_count <= 1  # none if an earlier test compiled it in this process


def test_rows_refuse_an_argument_the_lookup_changes(org: dict[str, OrgUnit]) -> None:
    with pytest.raises(ValueError, match="one parameter"):  # icontains wraps it in %…%
        sqlcache.rows("test.unit_like", lambda c: OrgUnit.objects.filter(name__icontains=c).values_list("pk"),
                      "华东")


def test_fixed_rows_convert_json_columns(org: dict[str, OrgUnit]) -> None:
    LinkSettings.objects.update_or_create(pk=1, defaults={"window_days": 12, "crisis_roles": [Role.ADMIN]})
    current = LinkSettings.current()
    assert (current.window_days, current.crisis_roles) == (12, [Role.ADMIN])
    assert not current._state.adding  # a stored row, as the ORM would load it


def test_insert_writes_new_instances_in_one_statement_with_their_keys(org: dict[str, OrgUnit]) -> None:
    unit = OrgUnit(code="S-E9", name="新店", kind="store", parent=org["EAST"], path="/HQ/EAST/S-E9/")
    sqlcache.insert([unit])  # the parent was assigned as an object: its id is taken, as in save()
    departments = [Department(code=f"Q{i}", name=f"质量{i}", kind=DepartmentKind.QUALITY, org_unit=unit)
                   for i in range(3)]
    with CaptureQueriesContext(connection) as ctx:
        sqlcache.insert(departments)
    assert len(ctx.captured_queries) == 1
    stored = {d.pk: (d.code, d.org_unit_id) for d in Department.objects.filter(code__startswith="Q")}
    assert stored == {d.pk: (d.code, unit.pk) for d in departments}
    assert OrgUnit.objects.get(pk=unit.pk).parent_id == org["EAST"].pk
    assert not any(d._state.adding for d in departments)


def test_insert_refuses_an_unsaved_related_object(org: dict[str, OrgUnit]) -> None:
    unsaved = OrgUnit(code="S-E8", name="未保存", kind="store", path="/HQ/S-E8/")
    with pytest.raises(ValueError, match="unsaved related object"):
        sqlcache.insert([Department(code="Q9", name="质量", kind=DepartmentKind.QUALITY, org_unit=unsaved)])
