"""Customer scope: own org unit, or a case in scope; missing and not-yours are the same NotFound."""

from __future__ import annotations

import pytest

from kesu.core.errors import NotFound
from kesu.customers.access import access_customer, customers_visible_to
from kesu.customers.actions import CustomerInput
from kesu.customers.models import Customer
from kesu.customers.queries import customer_list, customer_lookup


@pytest.mark.django_db
def test_visible_by_own_unit_or_by_a_case_in_scope(make_user, make_case):
    make_case(unit="S-E1", customer=CustomerInput(name="甲", phone="13900000001"))
    make_case(unit="S-S1", customer=CustomerInput(name="甲", phone="13900000001"))  # same customer
    make_case(unit="S-S1", customer=CustomerInput(name="乙", phone="13900000002"))

    def names(unit: str) -> list[str]:
        return sorted(customers_visible_to(make_user("handler", unit=unit)).values_list("name", flat=True))

    assert names("S-E1") == ["甲"]
    assert names("S-S1") == ["乙", "甲"]
    assert names("S-E2") == []
    assert names("HQ") == ["乙", "甲"]


@pytest.mark.django_db
def test_access_customer_same_error_for_missing_and_hidden(make_user, make_case):
    make_case(unit="S-S1", customer=CustomerInput(name="乙", phone="13900000002"))
    hidden = Customer.objects.get()
    user = make_user("handler", unit="S-E1")
    with pytest.raises(NotFound) as a:
        access_customer(user, hidden.pk)
    with pytest.raises(NotFound) as b:
        access_customer(user, hidden.pk + 1000)
    assert a.value.as_dict() == b.value.as_dict()
    assert access_customer(make_user("handler", unit="SOUTH"), hidden.pk) == hidden


@pytest.mark.django_db
def test_case_count_counts_only_visible_cases(make_user, make_case):
    make_case(unit="S-E1", customer=CustomerInput(name="甲", phone="13900000001"))
    make_case(unit="S-S1", customer=CustomerInput(name="甲", phone="13900000001"))
    assert [c.case_count for c in customer_list(make_user("handler", unit="S-S1"))] == [1]
    assert [c.case_count for c in customer_list(make_user("handler", unit="HQ"))] == [2]


@pytest.mark.django_db
def test_lookup_matches_phone_digits_name_and_email(make_user, make_case):
    make_case(customer=CustomerInput(name="张伟", phone="+86 138-0013-8000", email="Zhang.Wei@Example.com"))
    user = make_user("intake_agent")
    for query in ("0013 8000", "张", "zhang.wei@example", "138-0013"):
        assert [c.name for c in customer_lookup(user, query)] == ["张伟"], query
    assert customer_lookup(user, "12") == []  # too few digits to match a phone, and no such name
    assert customer_lookup(user, "   ") == []
