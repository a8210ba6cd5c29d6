"""Every write of the notification app (ARCHITECTURE rules 1 and 4).

``notify`` is what other apps call, inside their own action's transaction: it renders the
messages and writes outbox rows there, so they commit or roll back with the change that
caused them, and it enqueues delivery only on commit. It never sends and never raises
because a receiver is missing or misconfigured.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.cases.models import Case
from kesu.core import audit
from kesu.core.errors import Forbidden, NotFound, ValidationFailed
from kesu.notify import prefs
from kesu.notify.choices import USER_CHANNELS, Channel, Event, OutboxState, WebhookKind, event_spec
from kesu.notify.choices import subscribable_events as _subscribable
from kesu.notify.models import Notification, Outbox, Preference, WebhookEndpoint
from kesu.notify.prefs import channels_for
from kesu.notify.render import Rendered, case_data, jsonable, reader_language, render_message
from kesu.org.models import User
from kesu.org.roles import Cap, has_cap

log = logging.getLogger(__name__)


def _unique_recipients(recipients: Iterable[User | None], actor: User | None) -> list[User]:
    """Active users, once each, without the actor who caused the event."""
    seen: set[int] = set()
    users: list[User] = []
    for user in recipients:
        if user is None or not user.pk or not user.is_active or user.pk in seen:
            continue
        if actor is not None and user.pk == actor.pk:
            continue
        seen.add(user.pk)
        users.append(user)
    return users


def _row(event: str, channel: str, case: Case | None, msg: Rendered, language: str, **kw: Any) -> Outbox:
    now = timezone.now()
    return Outbox(event=event, channel=channel, case=case, subject=msg.subject, body=msg.body, link=msg.link,
                  language=language, state=OutboxState.PENDING, next_attempt_at=now, **kw)


def _webhook_rows(event: str, case: Case | None, context: dict[str, Any],
                  endpoints: Iterable[WebhookEndpoint]) -> list[Outbox]:
    rows = []
    occurred = timezone.now().isoformat()
    for endpoint in endpoints:
        language = reader_language(endpoint.language)
        msg = render_message(event, language, case, context)
        delivery = uuid.uuid4()
        payload = {"event": event, "delivery": str(delivery), "occurred_at": occurred,
                   "case": case_data(case),
                   "subject": msg.subject, "text": msg.body, "link": msg.link, "data": jsonable(context)}
        rows.append(_row(event, Channel.WEBHOOK, case, msg, language, endpoint=endpoint, address=endpoint.url,
                         delivery_id=delivery, payload=payload))
    return rows


def subscribed_endpoints(event: str) -> list[WebhookEndpoint]:
    return prefs.subscribed_endpoints(event)


#: Rows handed to the workers per message.
ENQUEUE_CHUNK = 200
_enqueue_paused: ContextVar[bool] = ContextVar("kesu_notify_enqueue_paused", default=False)


@contextmanager
def enqueue_paused() -> Iterator[None]:
    """Write outbox rows without a message to the workers per notification, for bulk loads.

    ``deliver_due`` (every 30 s) sends the rows instead. The demo's one transaction wrote some
    20,000 rows, and committing it queued as many messages, which the embedded profile's file
    broker then fed to the worker for an hour after ``make run`` had started the server.
    """
    token = _enqueue_paused.set(True)
    try:
        yield
    finally:
        _enqueue_paused.reset(token)


def enqueue(ids: list[int]) -> None:
    """Hand rows to the workers, one message per ``ENQUEUE_CHUNK`` rows; if the broker is down
    (or enqueueing is paused) they wait for ``deliver_due``."""
    from kombu.exceptions import OperationalError

    from kesu.notify.tasks import deliver_many

    if _enqueue_paused.get():
        return
    for start in range(0, len(ids), ENQUEUE_CHUNK):
        try:
            deliver_many.delay(ids[start : start + ENQUEUE_CHUNK])
        except OperationalError:
            log.warning("broker unavailable; notifications wait for the periodic delivery")
            return


def notify(event: str, *, case: Case | None, recipients: Iterable[User], context: dict[str, Any],
           actor: User | None = None) -> list[Outbox]:
    """Write the outbox rows of ``event``: one per recipient and wanted channel, one per
    subscribed webhook endpoint. Call inside the transaction of the change; delivery is
    enqueued on commit, so a rollback leaves neither rows nor messages.

    ``context`` goes to the templates (and, as JSON, to generic webhooks); an unknown ``event``
    code raises ``KeyError``. Users without an e-mail address simply get no e-mail row.
    """
    event_spec(event)
    users = _unique_recipients(recipients, actor)
    wanted = channels_for(users, event) if users else {}
    rows: list[Outbox] = []
    rendered: dict[str, Rendered] = {}  # one rendering per language, not per reader
    for user in users:
        channels = wanted[user.pk] - ({Channel.EMAIL} if not user.email else set())
        if not channels:
            continue
        language = reader_language(user.language)
        if language not in rendered:
            rendered[language] = render_message(event, language, case, context)
        msg = rendered[language]
        for channel in sorted(channels):
            rows.append(_row(event, channel, case, msg, language, recipient=user,
                             address=user.email if channel == Channel.EMAIL else ""))
    rows += _webhook_rows(event, case, context, subscribed_endpoints(event))
    if not rows:
        return []
    with transaction.atomic(savepoint=False):  # no savepoint: the caller's transaction owns the rows
        created = Outbox.objects.bulk_create(rows)
        ids = [r.pk for r in created]
        transaction.on_commit(lambda: enqueue(ids), robust=True)
    return created


# --- in-app notifications and preferences --------------------------------------------------

def do_mark_read(user: User, notification_id: int, *, actor: User) -> Notification:
    """Mark one of ``user``'s notifications read; someone else's is "not found"."""
    if actor.pk != user.pk:
        raise Forbidden(_("You can only mark your own notifications."))
    with transaction.atomic():
        item = Notification.objects.select_for_update().filter(user=user, pk=notification_id).first()
        if item is None:
            raise NotFound(_("No such notification was found."))
        if item.read_at is None:
            item.read_at = timezone.now()
            item.save(update_fields=["read_at"])
    return item


def do_mark_all_read(user: User, *, actor: User) -> int:
    if actor.pk != user.pk:
        raise Forbidden(_("You can only mark your own notifications."))
    with transaction.atomic():
        return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def do_set_preferences(user: User, choices: dict[tuple[str, str], bool], *, actor: User) -> None:
    """Store the user's choice for every given (event, channel); unknown pairs are refused."""
    if actor.pk != user.pk and not has_cap(actor.role, Cap.ADMIN):
        raise Forbidden(_("You can only change your own notification settings."))
    allowed = {(e.code, c) for e in _subscribable() for c in USER_CHANNELS}
    unknown = [f"{e}/{c}" for e, c in choices if (e, c) not in allowed]
    if unknown:
        raise ValidationFailed(
            _("Unknown event or channel: {items}.").format(items=", ".join(sorted(unknown))))
    with transaction.atomic():
        prefs.changed()
        for (event, channel), enabled in choices.items():
            Preference.objects.update_or_create(user=user, event=event, channel=channel,
                                                defaults={"enabled": enabled})


# --- administration: webhook endpoints, outbox ------------------------------------------

@dataclass(frozen=True)
class EndpointInput:
    name: str
    kind: str
    url: str
    secret: str | None = None  # None keeps the stored secret
    events: list[str] = field(default_factory=list)
    language: str = "zh-hans"
    is_active: bool = True


def _require_admin(actor: User) -> None:
    if not has_cap(actor.role, Cap.ADMIN):
        raise Forbidden(_("Only administrators may manage notifications."))


def _validate_endpoint(data: EndpointInput, instance: WebhookEndpoint | None) -> None:
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors["name"] = [_("Please give a name.")]
    elif WebhookEndpoint.objects.filter(name=data.name.strip()).exclude(
            pk=instance.pk if instance is not None else 0).exists():
        errors["name"] = [_("Another endpoint has this name.")]
    if data.kind not in WebhookKind.values:
        errors["kind"] = [_("Unknown kind.")]
    if not data.url.startswith(("http://", "https://")):
        errors["url"] = [_("Give an http:// or https:// address.")]
    known = {e.code for e in _subscribable()}
    if bad := [e for e in data.events if e not in known]:
        errors["events"] = [_("Unknown events: {items}.").format(items=", ".join(bad))]
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)


def do_save_webhook_endpoint(data: EndpointInput, *, instance: WebhookEndpoint | None = None,
                             actor: User) -> WebhookEndpoint:
    """Create an endpoint, or update ``instance``; the secret never appears in the audit log."""
    _require_admin(actor)
    _validate_endpoint(data, instance)
    with transaction.atomic():
        prefs.changed()
        endpoint = instance or WebhookEndpoint()
        endpoint.name, endpoint.kind, endpoint.url = data.name.strip(), data.kind, data.url.strip()
        endpoint.events, endpoint.language = list(data.events), data.language
        endpoint.is_active = data.is_active
        if data.secret is not None:
            endpoint.secret = data.secret.strip()
        endpoint.save()
        audit.record("notify.webhook_saved", actor=actor, object_type="notify.webhookendpoint",
                     object_id=endpoint.pk, data={"name": endpoint.name, "kind": endpoint.kind,
                                                  "url": endpoint.url, "events": endpoint.events,
                                                  "active": endpoint.is_active, "created": instance is None})
    return endpoint


def do_retry_outbox(row: Outbox, *, actor: User) -> bool:
    """Put a failed row back in the queue now, with a fresh count of attempts."""
    _require_admin(actor)
    with transaction.atomic():
        done = Outbox.objects.filter(pk=row.pk, state=OutboxState.FAILED).update(
            state=OutboxState.PENDING, attempts=0, next_attempt_at=timezone.now())
        if done:
            audit.record("notify.retry", actor=actor, object_type="notify.outbox", object_id=row.pk,
                         data={"event": row.event, "channel": row.channel})
            transaction.on_commit(lambda: enqueue([row.pk]), robust=True)
    return bool(done)


def do_send_test_webhook(endpoint: WebhookEndpoint, *, actor: User | None) -> Outbox:
    """Send a test message to ``endpoint`` now, in this process, and return the row's outcome.

    ``actor`` is None only for the command line, which runs with the server's authority.
    """
    if actor is not None:
        _require_admin(actor)
    from kesu.notify.delivery import deliver_ids

    with transaction.atomic():
        (row,) = _webhook_rows(Event.TEST, None, {"endpoint": endpoint.name}, [endpoint])
        row.save()
        audit.record("notify.webhook_test", actor=actor, object_type="notify.webhookendpoint",
                     object_id=endpoint.pk, data={"name": endpoint.name, "outbox": row.pk})
    deliver_ids([row.pk])
    row.refresh_from_db()
    return row
