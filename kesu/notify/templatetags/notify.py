"""``{% load notify %}{% notify_navbar_item %}``: the bell with the unread count in the navbar."""

from __future__ import annotations

from typing import Any

from django import template

from kesu.notify.access import unread_count

register = template.Library()


@register.inclusion_tag("notify/_navbar_item.html", takes_context=True)
def notify_navbar_item(context: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    return {
        "unread": unread_count(user) if user is not None and user.is_authenticated else 0,
        "active": bool(match and match.app_name == "notify"),
    }


@register.simple_tag(takes_context=True)
def unread_notifications(context: Any) -> int:
    """``{% unread_notifications as n %}`` for layouts that draw their own badge."""
    user = getattr(context.get("request"), "user", None)
    return unread_count(user) if user is not None and user.is_authenticated else 0
