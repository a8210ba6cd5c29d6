"""List querysets for pages, API and exports; always start from ``cases_visible_to``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from kesu.cases import search
from kesu.cases.access import cases_visible_to, with_related
from kesu.cases.choices import FINISHED_STATUSES
from kesu.cases.models import Case
from kesu.org.models import User

SORTABLE = {
    "received_at": ("received_at", "id"),
    "-received_at": ("-received_at", "-id"),
    "number": ("number",),
    "-number": ("-number",),
    "status": ("status", "-received_at", "-id"),
    "kind": ("kind", "-received_at", "-id"),
}


@dataclass(frozen=True)
class CaseFilter:
    status: str = ""
    kind: str = ""
    channel: str = ""
    org_unit: str = ""  # code; includes the units below it
    q: str = ""
    received_after: datetime | None = None
    received_before: datetime | None = None
    sort: str = "-received_at"
    view: str = ""  # "mine", "department", "unassigned": open cases only (WF-2)


#: Lists count at most this many matches and then say "more than": an exact count visits every
#: matching row, the slowest part of a list at a million cases (ADR 0002).
COUNT_CAP = 10_000
#: A text search counts fewer: each hit of a common phrase may be rechecked against its text, so
#: counting 10,000 of them costs more than the whole first page.
SEARCH_COUNT_CAP = 1_000


def count_cap(f: CaseFilter) -> int:
    """How far a list of ``f`` counts exactly (see :func:`kesu.cases.search.count_capped`)."""
    return SEARCH_COUNT_CAP if f.q.strip() else COUNT_CAP


def case_list(user: User, f: CaseFilter) -> QuerySet[Case]:
    qs = _work_view(cases_visible_to(user), user, f.view)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.org_unit:
        qs = qs.filter(org_unit__path__startswith=_unit_path(f.org_unit))
    if f.received_after:
        qs = qs.filter(received_at__gte=f.received_after)
    if f.received_before:
        qs = qs.filter(received_at__lt=f.received_before)
    if f.q.strip():
        qs = search.matching(qs, f.q.strip())
    order = SORTABLE.get(f.sort, SORTABLE["-received_at"])
    return with_related(qs).order_by(*order)


VIEWS = ("mine", "department", "unassigned")


def _work_view(qs: QuerySet[Case], user: User, view: str) -> QuerySet[Case]:
    """My cases (owner, first responder or coordinator), my department's, or nobody's yet."""
    if view not in VIEWS:
        return qs
    qs = qs.exclude(status__in=FINISHED_STATUSES)
    if view == "mine":
        return qs.filter(Q(owner=user) | Q(intake_by=user) | Q(coordinator=user))
    if view == "department":
        return qs.filter(department_id=user.department_id) if user.department_id else qs.none()
    return qs.filter(owner__isnull=True)


def _unit_path(code: str) -> str:
    from kesu.org.models import OrgUnit

    path = OrgUnit.objects.filter(code=code).values_list("path", flat=True).first()
    return path or "/\0nonexistent/"
