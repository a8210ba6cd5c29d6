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


def test_rows_take_aware_datetimes_as_the_orm_does(org: dict[str, OrgUnit]) -> None:
    from datetime import UTC, datetime, timedelta

    from kesu.customers.models import Customer

    for name in ("早", "中", "晚"):
        Customer.objects.create(name=name)
    stamps = sorted(Customer.objects.values_list("created_at", flat=True))
    since = stamps[1] - timedelta(microseconds=1)

    def build(a: datetime, b: datetime) -> Any:
        return Customer.objects.filter(created_at__gte=a, created_at__lte=b).order_by(
            "created_at").values_list("name", "created_at")

    assert sqlcache.rows("test.customers_between", build, since, stamps[2]) == list(build(since, stamps[2]))
    later = datetime(2999, 1, 1, tzinfo=UTC)
    assert sqlcache.rows("test.customers_between", build, stamps[0], later) == list(build(stamps[0], later))
    names = [n for n, _at in sqlcache.rows("test.customers_between", build, stamps[0], later)]
    assert names == ["早", "中", "晚"]


def test_insert_unless_conflict_writes_nothing_on_a_taken_unique_value(org: dict[str, OrgUnit]) -> None:
    first = Department(code="QX", name="质量", kind=DepartmentKind.QUALITY, org_unit=org["HQ"])
    assert sqlcache.insert_unless_conflict(first, '("code")')
    twin = Department(code="QX", name="另一个", kind=DepartmentKind.QUALITY, org_unit=org["HQ"])
    assert not sqlcache.insert_unless_conflict(twin, '("code")')
    assert twin.pk is None and twin._state.adding
    assert list(Department.objects.filter(code="QX").values_list("pk", "name")) == [(first.pk, "质量")]


def test_insert_with_parent_writes_both_with_their_keys(org: dict[str, OrgUnit]) -> None:
    unit = OrgUnit(code="S-E7", name="新店七", kind="store", parent=org["EAST"], path="/HQ/EAST/S-E7/")
    dept = Department(code="Q7", name="质量七", kind=DepartmentKind.QUALITY, org_unit=unit)
    with CaptureQueriesContext(connection) as ctx:
        sqlcache.insert_with_parent(unit, dept, "org_unit_id")
    assert len(ctx.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    assert unit.pk is not None and dept.pk is not None and dept.org_unit is unit
    stored = Department.objects.select_related("org_unit").get(pk=dept.pk)
    assert (stored.code, stored.name, stored.org_unit_id, stored.org_unit.code) == (
        "Q7", "质量七", unit.pk, "S-E7")
    assert not unit._state.adding and not dept._state.adding


def test_insert_with_parent_refuses_a_too_long_value_as_an_insert_does(org: dict[str, OrgUnit]) -> None:
    """The SELECT list casts to the column's type without its length: nothing is cut short."""
    from django.db import DataError, IntegrityError, transaction

    unit = OrgUnit(code="S-E6", name="新店六", kind="store", parent=org["EAST"], path="/HQ/EAST/S-E6/")
    dept = Department(code="Q" * 41, name="质量", kind=DepartmentKind.QUALITY, org_unit=unit)
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce a varchar's length")
    with pytest.raises((DataError, IntegrityError)), transaction.atomic():
        sqlcache.insert_with_parent(unit, dept, "org_unit_id")
    assert not OrgUnit.objects.filter(code="S-E6").exists()


def test_insert_of_many_values_stores_what_a_values_list_stores(org: dict[str, OrgUnit]) -> None:
    """Over psycopg's 50 cached parameters PostgreSQL gets one array per column (unnest): the
    same rows, NULLs, microseconds and keys in order as with a VALUES list."""
    from kesu.customers.models import Customer

    made = [Customer(name=f"客户{i}", phone=f"1390000{i:04d}" if i % 2 else "", phone_key=f"1390000{i:04d}"
                     if i % 2 else "", email="a'b\"{c},d@example.cn", org_unit=org["HQ"] if i % 3 else None)
            for i in range(7)]
    assert len(made) * 11 > sqlcache.MAX_CACHED_PARAMS
    with CaptureQueriesContext(connection) as ctx:
        sqlcache.insert(made)
    assert len(ctx.captured_queries) == 1
    def row(c: Customer) -> tuple[Any, ...]:  # created_at as auto_now_add set it, to the microsecond
        return c.pk, c.name, c.phone, c.phone_key, c.email, c.org_unit_id, c.created_at

    assert sorted(map(row, Customer.objects.filter(pk__in=[c.pk for c in made]))) == sorted(map(row, made))
    assert [c.pk for c in made] == sorted(c.pk for c in made)  # keys back in the objects' order
    from kesu.sla.models import CaseClock

    if connection.vendor == "postgresql":  # JSON columns keep the VALUES list
        assert sqlcache._unnest_sql(LinkSettings) is None and sqlcache._unnest_sql(CaseClock) is not None
