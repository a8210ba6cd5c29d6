"""Lists of staff accounts for the console, the API and ``kesu user list``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from kesu.cases.choices import FINISHED_STATUSES
from kesu.core.models import AuditEvent
from kesu.org.models import OrgUnit, User

#: ``UserFilter.state`` values.
STATES = ("active", "inactive", "all")


@dataclass(frozen=True)
class UserFilter:
    state: str = "active"
    role: str = ""
    org_unit: str = ""  # code; includes the units below it
    q: str = ""  # part of the user name or display name


def user_list(users: QuerySet[User], f: UserFilter) -> QuerySet[User]:
    """``users`` (already scoped, e.g. by ``users_visible_to``) filtered and ordered by name."""
    if f.state == "active":
        users = users.filter(is_active=True)
    elif f.state == "inactive":
        users = users.filter(is_active=False)
    if f.role:
        users = users.filter(role=f.role)
    if f.org_unit:
        path = OrgUnit.objects.filter(code=f.org_unit).values_list("path", flat=True).first()
        users = users.filter(org_unit__path__startswith=path) if path else users.none()
    if q := f.q.strip():
        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    return users.select_related("org_unit", "department").order_by("username")


def open_case_counts(user: User) -> tuple[int, int]:
    """Unfinished cases the user owns, and those the user coordinates."""
    return (user.owned_cases.exclude(status__in=FINISHED_STATUSES).count(),
            user.coordinated_cases.exclude(status__in=FINISHED_STATUSES).count())


def open_cases_owned(user_ids: Iterable[int]) -> dict[int, int]:
    """Open cases per owner, for the accounts on one page (not a count over every user)."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = (User.objects.filter(pk__in=ids)
            .annotate(n=Count("owned_cases", filter=~Q(owned_cases__status__in=FINISHED_STATUSES)))
            .values_list("pk", "n"))
    return dict(rows)


def last_deactivations(usernames: Iterable[str]) -> dict[str, AuditEvent]:
    """The latest ``user.deactivated`` audit row (when, by whom, why) per user name."""
    names = list(usernames)
    if not names:
        return {}
    rows = AuditEvent.objects.filter(type="user.deactivated", object_type="user", object_id__in=names)
    return {e.object_id: e for e in rows.order_by("seq")}
