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


@pytest.mark.django_db
def test_a_phone_created_meanwhile_by_another_intake_is_used_without_a_savepoint(org):
    """The INSERT finds the phone taken (a concurrent intake committed it after our lookup): it
    writes nothing, no error breaks the transaction, and the stored customer is used."""
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesu.customers import actions

    first = do_find_or_create_customer(CustomerInput(name="孙八", phone="13900004444"), org_unit=None)
    real = actions.find_customer
    calls = []

    def missed_once(phone: str = "", email: str = "") -> Customer | None:
        calls.append(phone)
        return None if len(calls) == 1 else real(phone, email)

    with mock.patch.object(actions, "find_customer", missed_once), CaptureQueriesContext(connection) as ctx:
        again = do_find_or_create_customer(CustomerInput(name="孙八", phone="139 0000 4444",
                                                         email="sun@example.com"), org_unit=None)
    assert again is not None and first is not None and again.pk == first.pk
    assert not any("SAVEPOINT" in q["sql"] for q in ctx.captured_queries)
    assert Customer.objects.count() == 1
    assert Customer.objects.get(pk=first.pk).email == "sun@example.com"  # blanks filled as before


@pytest.mark.django_db
def test_a_new_customer_is_stored_as_create_stored_it(org):
    made = do_find_or_create_customer(CustomerInput(name=" 周九 ", phone="+86 13900005555", email="Z@X.cn",
                                                    address="北京", level="vip"), org_unit=org["HQ"])
    assert made is not None and made.pk is not None and not made._state.adding
    stored = Customer.objects.get(pk=made.pk)
    assert (stored.name, stored.phone, stored.phone_key, stored.email, stored.email_key, stored.address,
            stored.level, stored.type, stored.org_unit_id) == (
        "周九", "+86 13900005555", "13900005555", "Z@X.cn", "z@x.cn", "北京", "vip", "consumer", org["HQ"].pk)
    assert stored.created_at == made.created_at
    # Customers without a phone are not unique: two e-mail-only profiles may share nothing but blanks.
    a = do_find_or_create_customer(CustomerInput(name="无电话"), org_unit=None)
    b = do_find_or_create_customer(CustomerInput(name="无电话"), org_unit=None)
    assert a is not None and b is not None and a.pk != b.pk
