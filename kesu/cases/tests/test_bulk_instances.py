"""``bulk._new`` builds what ``Model(**kwargs)`` builds: the same ``__dict__`` in the same order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db.models import Model

from kesu.cases.bulk import _new
from kesu.cases.models import Case, CaseEvent
from kesu.customers.models import Customer
from kesu.org.models import OrgUnit
from kesu.sla.models import CaseClock

pytestmark = pytest.mark.django_db


def fields_of(obj: Model) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in obj.__dict__.items() if k != "_state"]


def assert_built_alike(model: type[Model], **kwargs: Any) -> Model:
    fast, slow = _new(model, **kwargs), model(**kwargs)
    assert fields_of(fast) == fields_of(slow)
    assert fast._state.adding and fast._state.db is None
    assert fast._state.fields_cache == slow._state.fields_cache
    return fast


def test_new_instances_are_what_the_constructor_makes(org):
    unit = OrgUnit.objects.get(code="HQ")
    customer = Customer(pk=7, name="甲", level="vip")
    at = datetime(2026, 9, 1, 9, 30, tzinfo=UTC)
    case = assert_built_alike(
        Case, number="KS-202609-00001", received_at=at, title="发霉", description="发霉了", org_unit=unit,
        customer=customer, category=None, demands=["refund"], missing_fields=[], status="new",
    )  # fmt: skip
    assert case.org_unit is unit and case.customer is customer and case.customer_id == 7
    assert case.demands == ["refund"]
    assert assert_built_alike(Case).demands == []  # a called default: a new list each time
    assert _new(Case).demands is not _new(Case).demands
    assert_built_alike(Case, org_unit_id=unit.pk, customer_id=None)
    assert_built_alike(CaseEvent, case=case, seq=1, type="case.created", actor=None, at=at, data={"new": {}})
    assert_built_alike(Customer, name="乙", phone="13800000001", org_unit=None)
    assert_built_alike(CaseClock, case_id=1, code="relay", started_at=at, due_at=at)


def test_unknown_fields_are_refused_as_the_constructor_refuses_them(org):
    for kwargs in ({"nope": 1}, {"_state": None}):
        with pytest.raises(TypeError):
            Case(**kwargs)
        with pytest.raises(TypeError):
            _new(Case, **kwargs)
    unit = OrgUnit.objects.get(code="HQ")
    with pytest.raises(TypeError):  # ambiguous (the constructor lets the id win over the object)
        _new(Case, org_unit=unit, org_unit_id=unit.pk)
