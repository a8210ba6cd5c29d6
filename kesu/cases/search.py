"""Chinese full-text search over title, description and customer name.

Substring semantics: a query matches a case when it occurs in one of those fields, so 发霉
finds 产品发霉了 — no word segmentation can make it miss.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kesu.cases.models import Case


def index_case(case: Case) -> None:
    """Keep the search index of ``case`` current; called by every action that changes text."""


def matching(qs: QuerySet[Case], query: str) -> QuerySet[Case]:
    terms = query.split()
    for term in terms:
        qs = qs.filter(
            Q(title__icontains=term) | Q(description__icontains=term) | Q(customer_name__icontains=term)
        )
    return qs
