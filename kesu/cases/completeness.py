"""Which fields a case of each kind still lacks (IN-5). Pure: works on a plain mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from kesu.cases.choices import Kind

FIELD_LABELS = {
    "title": _("title"),
    "description": _("description"),
    "customer_contact": _("customer phone or e-mail"),
    "customer_name": _("customer name"),
    "product_name": _("product"),
    "product_batch": _("batch / lot"),
    "demands": _("demands"),
}

#: Fields a case needs before handling can start, by kind. A complaint must let us reach the
#: customer back, say what was wrong with what, and what the customer wants (000 §4 step 1).
REQUIRED_BY_KIND: dict[str, list[str]] = {
    Kind.COMPLAINT: ["title", "description", "customer_contact", "product_name", "demands"],
    Kind.SUGGESTION: ["title", "description"],
    Kind.PRAISE: ["title", "description"],
    Kind.INQUIRY: ["title", "description", "customer_contact"],
}


def _present(values: Mapping[str, Any], field: str) -> bool:
    if field == "customer_contact":
        return bool(values.get("customer_phone") or values.get("customer_email"))
    value = values.get(field)
    return bool(value.strip() if isinstance(value, str) else value)


def missing_fields(kind: str, values: Mapping[str, Any]) -> list[str]:
    """Codes of required fields that are empty, in form order."""
    return [f for f in REQUIRED_BY_KIND.get(kind, []) if not _present(values, f)]


def describe_missing(codes: list[str]) -> list[str]:
    return [str(FIELD_LABELS.get(c, c)) for c in codes]
