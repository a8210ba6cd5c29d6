"""List querysets of customers for pages, the intake lookup and exports; scoped via ``access``."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from kesu.cases.access import cases_visible_to
from kesu.cases.models import Case
from kesu.customers.access import customers_visible_to
from kesu.customers.actions import phone_key
from kesu.customers.models import Customer
from kesu.org.models import User
from kesu.org.scope import scope_filter

#: A query needs this many digits before it is also matched against phone numbers.
MIN_PHONE_DIGITS = 3


def _matching(qs: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """Name substring, or phone digits substring ("1380000" finds 138-0000-1111)."""
    query = query.strip()
    if not query:
        return qs
    condition = Q(name__icontains=query) | Q(organisation__icontains=query)
    digits = phone_key(query)
    if len(digits) >= MIN_PHONE_DIGITS:
        condition |= Q(phone_key__contains=digits)
    if "@" in query:
        condition |= Q(email_key__contains=query.lower())
    return qs.filter(condition)


def customer_list(user: User, query: str = "") -> QuerySet[Customer]:
    """Visible customers matching ``query``, newest first, with the number of visible cases."""
    visible_cases = scope_filter(user, field="cases__org_unit")
    return (
        _matching(customers_visible_to(user), query)
        .select_related("org_unit")
        .annotate(case_count=Count("cases", filter=visible_cases, distinct=True))
        .order_by("-created_at", "-pk")
    )


def customer_lookup(user: User, query: str, limit: int = 8) -> list[Customer]:
    """A few visible customers for the intake form's lookup-as-you-type."""
    if len(query.strip()) < 1:
        return []
    return list(_matching(customers_visible_to(user), query).select_related("org_unit")
                .order_by("name", "pk")[:limit])


def customer_cases(user: User, customer: Customer) -> QuerySet[Case]:
    """The customer's cases that ``user`` may see, newest first."""
    return (
        cases_visible_to(user).filter(customer=customer)
        .select_related("org_unit", "category").order_by("-received_at", "-id")
    )
