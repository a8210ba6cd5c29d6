"""Find-or-create customers on intake (CU-1)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection

from kesu.core import sqlcache
from kesu.customers.choices import CustomerLevel, CustomerType
from kesu.customers.models import Customer
from kesu.org.models import OrgUnit


def phone_key(phone: str) -> str:
    """Digits only, without a leading +86/0086 country code."""
    digits = re.sub(r"\D", "", phone or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix):]
    return digits


def email_key(email: str) -> str:
    return (email or "").strip().lower()


@dataclass(frozen=True)
class CustomerInput:
    name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    organisation: str = ""
    level: str = CustomerLevel.NORMAL
    type: str = CustomerType.CONSUMER

    @property
    def is_empty(self) -> bool:
        return not (self.name.strip() or self.phone.strip() or self.email.strip())


def find_customer(phone: str = "", email: str = "") -> Customer | None:
    """The customer with this phone; by e-mail only when no phone is given.

    A phone that is given but unknown means a new customer even if the e-mail is known:
    otherwise the case would hang on a profile with another phone, and the customer could not
    follow it on the portal with the phone they typed. Such twins are merged later (CU-2).
    """
    if key := phone_key(phone):
        # The excluded blank lets the planner use the partial unique index on phone_key.
        found = sqlcache.rows("customers.by_phone", lambda k: Customer.objects.exclude(phone_key="").filter(
            phone_key=k).order_by("-created_at").values_list(*_COLUMNS)[:1], key)  # the model's ordering
    elif key := email_key(email):
        found = sqlcache.rows("customers.by_email", lambda k: Customer.objects.filter(
            email_key=k).order_by("pk").values_list(*_COLUMNS)[:1], key)
    else:
        return None
    return Customer.from_db(connection.alias, list(_COLUMNS), found[0]) if found else None


#: The customer's columns: ``find_customer``'s queries are compiled once (``sqlcache.rows``), since
#: every intake with contact details asks and the ORM's compilation cost more than the query.
_COLUMNS = tuple(f.attname for f in Customer._meta.concrete_fields)
#: ``ON CONFLICT`` target of the partial unique index on the phone key (``customer_unique_phone``).
_PHONE_CONFLICT = '("phone_key") WHERE NOT ("phone_key" = \'\')'


def do_find_or_create_customer(data: CustomerInput, *, org_unit: OrgUnit | None) -> Customer | None:
    """Return the customer with this phone (else e-mail), creating one if none exists.

    Empty details that were given now fill blanks in the stored profile; stored values are
    never overwritten by intake (profile edits are a separate, audited action).
    Returns None for a fully anonymous submission.
    """
    if data.is_empty:
        return None
    existing = find_customer(data.phone, data.email)
    if existing is None:
        customer = Customer(
            name=data.name.strip(), phone=data.phone.strip(), phone_key=phone_key(data.phone),
            email=data.email.strip(), email_key=email_key(data.email),
            address=data.address.strip(), organisation=data.organisation.strip(),
            level=data.level or CustomerLevel.NORMAL, type=data.type or CustomerType.CONSUMER,
            org_unit=org_unit,
        )
        # ON CONFLICT DO NOTHING instead of a savepoint around the INSERT (two statements fewer):
        # only the phone is unique, and a concurrent intake that created the same phone first
        # makes this write nothing; its row is then used, as the IntegrityError path did.
        if sqlcache.insert_unless_conflict(customer, _PHONE_CONFLICT):
            customer._kesu_created = True  # type: ignore[attr-defined]  # see created_in_this_transaction
            return customer
        existing = find_customer(data.phone, data.email)
        assert existing is not None
    _fill_blanks(existing, data)
    return existing


def created_in_this_transaction(customer: Customer | None) -> bool:
    """Whether ``customer`` is the instance ``do_find_or_create_customer`` just INSERTed: until its
    transaction commits, no other transaction can give it a case, so the only cases it has are
    those this transaction registered with it (intake: none besides the new one)."""
    return bool(getattr(customer, "_kesu_created", False))


def _fill_blanks(customer: Customer, data: CustomerInput) -> None:
    updates: dict[str, str] = {}
    for field in ("name", "email", "address", "organisation"):
        new = getattr(data, field).strip()
        if new and not getattr(customer, field):
            updates[field] = new
    if "email" in updates:
        updates["email_key"] = email_key(updates["email"])
    if data.phone and not customer.phone:
        updates["phone"], updates["phone_key"] = data.phone.strip(), phone_key(data.phone)
    if updates:
        for k, v in updates.items():
            setattr(customer, k, v)
        Customer.objects.filter(pk=customer.pk).update(**updates)
