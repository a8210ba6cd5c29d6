"""Template helpers of the staff console: capabilities, optional links, labels, badges, sorting."""

from __future__ import annotations

from functools import cache
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from kesu.cases.choices import Demand, Priority, Severity, Status
from kesu.cases.queries import SORTABLE
from kesu.console.timeline import list_sep
from kesu.org.masking import contact_for
from kesu.org.roles import Cap, has_cap

register = template.Library()

SEVERITY_CLASSES = {
    Severity.GENERAL: "text-bg-light border", Severity.MINOR: "text-bg-info",
    Severity.MAJOR: "text-bg-warning", Severity.SERIOUS: "text-bg-danger", Severity.SPECIAL: "text-bg-dark",
}
PRIORITY_CLASSES = {
    Priority.URGENT: "text-bg-danger", Priority.IMPORTANT: "text-bg-warning",
    Priority.GENERAL: "text-bg-light border",
}
STATUS_CLASSES = {
    Status.NEW: "text-bg-primary", Status.AWAITING_INFO: "text-bg-warning",
    Status.ESCALATED: "text-bg-danger", Status.REOPENED: "text-bg-danger",
    Status.REPLIED: "text-bg-info", Status.CALLBACK: "text-bg-info",
    Status.CLOSED: "text-bg-success", Status.ARCHIVED: "text-bg-light", Status.REJECTED: "text-bg-dark",
}


@register.filter
def can(user: Any, cap: str) -> bool:
    """``{% if user|can:"case.create" %}``"""
    return bool(getattr(user, "is_authenticated", False) and has_cap(user.role, Cap(cap)))


@register.simple_tag
def optional_url(name: str, *args: Any) -> str:
    """The URL of ``name``, or "" while no page has that name (e.g. a page still being built)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.filter
def demand_labels(codes: list[str] | None) -> str:
    return list_sep().join(str(Demand(c).label) if c in Demand.values else c for c in codes or [])


@cache
def _labels(field: Any) -> dict[Any, Any]:
    return dict(field.flatchoices)


@register.filter
def display(obj: Any, field: str) -> Any:
    """``{{ case|display:"kind" }}``: the label of a choice field's value, as ``get_kind_display``.

    Django's ``get_FOO_display`` rebuilds and hashes the field's whole choice list on every
    call; a list page makes ~120 such calls, which took a third of its rendering time.
    """
    value = getattr(obj, field)
    return _labels(obj._meta.get_field(field)).get(value, value)


def _badge(css: str, text: Any, title: Any = "") -> SafeString:
    return format_html('<span class="badge {}" title="{}">{}</span>', css, title, text)


@register.simple_tag
def severity_badge(case: Any) -> SafeString | str:
    if not case.severity:
        return ""
    return _badge(SEVERITY_CLASSES.get(case.severity, "text-bg-secondary"), display(case, "severity"),
                  case._meta.get_field("severity").verbose_name)


@register.simple_tag
def priority_badge(case: Any) -> SafeString | str:
    if not case.priority:
        return ""
    return _badge(PRIORITY_CLASSES.get(case.priority, "text-bg-secondary"), display(case, "priority"),
                  case._meta.get_field("priority").verbose_name)


@register.simple_tag
def status_badge(case: Any) -> SafeString:
    return _badge(STATUS_CLASSES.get(case.status, "text-bg-secondary"), display(case, "status"))


@register.inclusion_tag("console/_sort_header.html", takes_context=True)
def sort_header(context: Any, field: str, label: Any) -> dict[str, Any]:
    """A column header that sorts by ``field``; a second click reverses the order."""
    current = context["request"].GET.get("sort") or "-received_at"
    if current == field:
        target, arrow = (f"-{field}" if f"-{field}" in SORTABLE else field), "bi-sort-up"
    elif current == f"-{field}":
        target, arrow = field, "bi-sort-down"
    else:
        target, arrow = ("-received_at" if field == "received_at" else field), ""
    return {"request": context["request"], "target": target, "arrow": arrow, "label": label,
            "active": bool(arrow)}


@register.filter
def in_language(category: Any) -> str:
    """A category's name in the active language."""
    return category.label(get_language() or "") if category else ""


@register.filter
def join_list(items: list[Any] | None) -> str:
    """Join with the enumeration comma of the active language (、 in Chinese)."""
    return list_sep().join(str(i) for i in items or [])


@register.simple_tag
def customer_contact(user: Any, customer: Any) -> dict[str, str]:
    """``{% customer_contact user customer as contact %}``: the contact data as ``user`` may see it."""
    return contact_for(user, phone=customer.phone, email=customer.email, address=customer.address)
