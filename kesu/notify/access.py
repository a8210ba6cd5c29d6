"""The read paths of the notification app: one's own notifications; admin-only tables."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kesu.core.errors import Forbidden, NotFound
from kesu.notify.models import Notification, Outbox, WebhookEndpoint
from kesu.org.models import User
from kesu.org.roles import Cap, has_cap


def notifications_of(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    if not user.is_authenticated:
        return Notification.objects.none()
    qs = Notification.objects.filter(user=user).select_related("case")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(user: User) -> int:
    return notifications_of(user, unread_only=True).count()


def require_admin(user: User) -> None:
    if not has_cap(user.role, Cap.ADMIN):
        raise Forbidden(_("Only administrators may manage notifications."))


def endpoints_for_admin(user: User) -> QuerySet[WebhookEndpoint]:
    require_admin(user)
    return WebhookEndpoint.objects.all()


def access_endpoint(user: User, pk: int) -> WebhookEndpoint:
    endpoint = endpoints_for_admin(user).filter(pk=pk).first()
    if endpoint is None:
        raise NotFound(_("No such webhook endpoint was found."))
    return endpoint


def endpoint_by_name(name: str) -> WebhookEndpoint:
    """For the command line, which runs with the server's authority."""
    endpoint = WebhookEndpoint.objects.filter(name=name).first()
    if endpoint is None:
        raise NotFound(_("No webhook endpoint is named {name}.").format(name=name))
    return endpoint


def outbox_for_admin(user: User, *, state: str = "") -> QuerySet[Outbox]:
    require_admin(user)
    qs = Outbox.objects.select_related("recipient", "endpoint", "case").defer("body", "payload")
    return qs.filter(state=state) if state else qs


def access_outbox(user: User, pk: int) -> Outbox:
    row = outbox_for_admin(user).filter(pk=pk).first()
    if row is None:
        raise NotFound(_("No such outbox message was found."))
    return row
