"""The import's customer lookups and filled blanks: one statement each, the per-customer result.

``test_bulk.py`` proves a batch equal to intake row by row; here the short cuts themselves: the
stored profiles are loaded as ``Model.from_db`` loads them, and the filled blanks of many stored
customers are written in one UPDATE that touches only the filled fields.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesu.cases.bulk import _CustomerResolver, _loaded
from kesu.customers.actions import CustomerInput
from kesu.customers.models import Customer
from kesu.org.models import OrgUnit

pytestmark = pytest.mark.django_db


def _stored(**fields: str) -> Customer:
    return Customer.objects.create(**fields)


def test_loaded_customers_are_what_the_orm_loads(org):
    a = _stored(name="甲", phone="13800000001", phone_key="13800000001", org_unit=org["HQ"])
    _stored(name="乙", email="b@example.cn", email_key="b@example.cn")
    fast = sorted(_loaded(Customer.objects.all()), key=lambda c: c.pk)
    slow = sorted(Customer.objects.all(), key=lambda c: c.pk)
    assert [c.__dict__.keys() - {"_state"} for c in fast] == [c.__dict__.keys() - {"_state"} for c in slow]
    assert [{k: v for k, v in c.__dict__.items() if k != "_state"} for c in fast] == [
        {k: v for k, v in c.__dict__.items() if k != "_state"} for c in slow
    ]
    assert all(not c._state.adding and c._state.db == "default" for c in fast)
    assert fast[0].org_unit == org["HQ"] and fast[0] == a


def test_filled_blanks_of_many_customers_are_one_update_of_the_filled_fields_only(org):
    unit = OrgUnit.objects.get(code="HQ")
    x = _stored(name="甲", phone="13800000001", phone_key="13800000001")
    y = _stored(phone="13800000002", phone_key="13800000002", email="y@example.cn", email_key="y@example.cn")
    z = _stored(name="丙", email="z@example.cn", email_key="z@example.cn")  # no phone
    untouched = _stored(name="丁", phone="13800000004", phone_key="13800000004", address="旧地址")
    inputs = [
        CustomerInput(phone="13800000001", email="X@Example.cn", address="新地址"),  # x: e-mail, address
        CustomerInput(phone="138-0000-0002", name="乙", organisation="某公司"),  # y: name, organisation
        CustomerInput(phone="无", email="z@example.cn"),  # z by e-mail: the phone ("无", no digits)
        CustomerInput(phone="13800000004", name="别名", address="新地址"),  # nothing blank to fill
    ]
    resolver = _CustomerResolver(inputs, [unit] * len(inputs))
    # Changed by someone else after the batch read the profiles: fields the batch does not fill
    # keep the stored value (the per-customer update wrote only the filled fields too).
    Customer.objects.filter(pk=x.pk).update(name="甲二")
    with CaptureQueriesContext(connection) as ctx:
        found = resolver.resolve()
    updates = [q["sql"] for q in ctx.captured_queries if "UPDATE" in q["sql"]]
    assert len(updates) == 1, updates  # SQLite: one executemany ("3 times: UPDATE …")
    assert [c.pk if c else None for c in found] == [x.pk, y.pk, z.pk, untouched.pk]

    def stored(c: Customer) -> tuple[str, ...]:
        c.refresh_from_db()
        return (c.name, c.phone, c.phone_key, c.email, c.email_key, c.address, c.organisation)

    assert stored(x) == ("甲二", "13800000001", "13800000001", "X@Example.cn", "x@example.cn", "新地址", "")
    assert stored(y) == ("乙", "13800000002", "13800000002", "y@example.cn", "y@example.cn", "", "某公司")
    assert stored(z) == ("丙", "无", "", "z@example.cn", "z@example.cn", "", "")
    assert stored(untouched) == ("丁", "13800000004", "13800000004", "", "", "旧地址", "")
