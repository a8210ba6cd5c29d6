"""``/api/v1/notifications``: the caller's in-app notifications. parse → access → action → schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from kesu.cases.schemas import ErrorOut
from kesu.notify.access import notifications_of
from kesu.notify.actions import do_mark_read
from kesu.notify.models import Notification

router = Router(tags=["notifications"])
ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
PAGE_SIZE = 20


class NotificationOut(Schema):
    id: int
    event: str
    subject: str
    body: str
    link: str
    case: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationListOut(Schema):
    items: list[NotificationOut]
    count: int
    unread: int


class ListParams(Schema):
    unread: bool = False
    page: int = 1


def _out(n: Notification) -> dict[str, Any]:
    return {"id": n.pk, "event": n.event, "subject": n.subject, "body": n.body, "link": n.link,
            "case": n.case.number if n.case else None, "created_at": n.created_at, "read_at": n.read_at}


@router.get("", response={200: NotificationListOut, **ERRORS}, summary="My notifications, newest first")
def list_notifications(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    user = request.user
    qs = notifications_of(user, unread_only=params.unread)  # type: ignore[arg-type]
    page = max(params.page, 1)
    items = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    unread = notifications_of(user, unread_only=True).count()  # type: ignore[arg-type]
    return {"items": [_out(n) for n in items], "count": qs.count(), "unread": unread}


@router.post("/{int:notification_id}/read", response={200: NotificationOut, **ERRORS},
             summary="Mark one of my notifications as read")
def mark_read(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    user = request.user
    item = do_mark_read(user, notification_id, actor=user)  # type: ignore[arg-type]
    return _out(item)
