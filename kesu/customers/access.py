"""The one read path for customers (ARCHITECTURE rule 2). Missing and not-yours are the same 404.

A customer is visible when its own org unit is in the user's scope, or when it has at least
one case in scope: a store that took a complaint from a customer first registered elsewhere
must still be able to call that customer back.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from kesu.cases.models import Case
from kesu.core.errors import NotFound
from kesu.customers.models import Customer
from kesu.org.models import User
from kesu.org.roles import Cap, has_cap
from kesu.org.scope import visible_unit_ids


def customers_visible_to(user: User) -> QuerySet[Customer]:
    if not user.is_authenticated or not has_cap(user.role, Cap.CUSTOMER_VIEW):
        return Customer.objects.none()
    ids = visible_unit_ids(user)
    if ids is None:
        return Customer.objects.all()
    case_in_scope = Case.objects.filter(customer_id=OuterRef("pk"), org_unit_id__in=ids)
    return Customer.objects.filter(Q(org_unit_id__in=ids) | Q(Exists(case_in_scope)))


def access_customer(user: User, customer_id: int) -> Customer:
    customer = customers_visible_to(user).select_related("org_unit").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("No such customer was found."))
    return customer
