"""Find-or-create on intake (CU-1)."""

from __future__ import annotations

import pytest

from kesu.customers.actions import CustomerInput, do_find_or_create_customer, phone_key
from kesu.customers.models import Customer


def test_phone_key_strips_formatting_and_country_code():
    assert phone_key("138-0000 1111") == "13800001111"
    assert phone_key("+86 138 0000 1111") == "13800001111"
    assert phone_key("0086-13800001111") == "13800001111"
    assert phone_key("021-6321 0000") == "02163210000"


@pytest.mark.django_db
def test_found_again_by_phone_and_blanks_filled(org):
    first = do_find_or_create_customer(CustomerInput(name="王五", phone="13800001111"), org_unit=org["HQ"])
    again = do_find_or_create_customer(
        CustomerInput(name="王先生", phone="138 0000 1111", email="W@Example.com"), org_unit=org["HQ"]
    )
    assert again is not None and first is not None and again.pk == first.pk
    stored = Customer.objects.get(pk=first.pk)
    assert (stored.name, stored.email, stored.email_key) == ("王五", "W@Example.com", "w@example.com")


@pytest.mark.django_db
def test_found_by_email_when_no_phone(org):
    first = do_find_or_create_customer(CustomerInput(name="赵六", email="zhao@example.com"), org_unit=None)
    again = do_find_or_create_customer(CustomerInput(email=" ZHAO@example.com "), org_unit=None)
    assert again is not None and first is not None and again.pk == first.pk


@pytest.mark.django_db
def test_unknown_phone_with_known_email_is_a_new_customer(org):
    first = do_find_or_create_customer(
        CustomerInput(name="钱七", phone="13900002222", email="qian@example.com"), org_unit=None
    )
    other = do_find_or_create_customer(
        CustomerInput(name="钱七", phone="13900003333", email="qian@example.com"), org_unit=None
    )
    assert other is not None and first is not None and other.pk != first.pk
    assert other.phone_key == "13900003333"


@pytest.mark.django_db
def test_anonymous_gives_no_customer(org):
    assert do_find_or_create_customer(CustomerInput(), org_unit=None) is None
    assert Customer.objects.count() == 0
