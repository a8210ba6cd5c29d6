"""Row-level scope: which org units a user may see (SE-2).

A user sees the subtree of their own org unit: a store itself, a region its stores, head
office everything. Siblings are never visible, so a franchise store never sees another's.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q, QuerySet

from kesu.org.models import OrgUnit, User


def unit_path(parent: OrgUnit | None, code: str) -> str:
    return f"{parent.path if parent else '/'}{code}/"


def visible_unit_ids(user: User) -> list[int] | None:
    """Ids of the units in the user's subtree; ``None`` means everything (the root unit).

    A user without an org unit sees nothing. Cached briefly because every list uses it.
    """
    if not user.is_authenticated or user.org_unit_id is None:
        return []
    unit = user.org_unit
    assert unit is not None
    if unit.parent_id is None:
        return None
    key = f"kesu:scope:{unit.pk}:{unit.path}"
    ids = cache.get(key)
    if ids is None:
        ids = list(OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))
        cache.set(key, ids, 60)
    return list(ids)


def scope_filter(user: User, field: str = "org_unit") -> Q:
    """A Q object restricting ``field`` (an OrgUnit foreign key) to the user's scope."""
    ids = visible_unit_ids(user)
    if ids is None:
        return Q()
    return Q(**{f"{field}_id__in": ids})


def units_visible_to(user: User) -> QuerySet[OrgUnit]:
    """The org units a user may pick or filter by."""
    ids = visible_unit_ids(user)
    if ids is None:
        return OrgUnit.objects.filter(is_active=True)
    return OrgUnit.objects.filter(pk__in=ids, is_active=True)
