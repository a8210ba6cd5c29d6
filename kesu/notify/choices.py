"""Codes of the notification app: events, channels, outbox states, webhook kinds.

Events are a registry rather than a closed ``TextChoices`` so that other apps (SLA, triage,
surveys) can add theirs with ``register_event`` at import time without editing this file.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the console")
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


#: Channels a user chooses per event on the settings page; webhooks are configured by admins.
USER_CHANNELS: tuple[str, ...] = (Channel.IN_APP, Channel.EMAIL)


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class WebhookKind(models.TextChoices):
    GENERIC = "generic", _("Generic JSON")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    WECOM = "wecom", _("WeCom group robot")


class WebhookLanguage(models.TextChoices):
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


@dataclass(frozen=True)
class EventSpec:
    code: str
    label: str | Promise
    #: Channels a user gets when they have not chosen otherwise.
    default_channels: frozenset[str]
    #: False for internal events (the admin's test send) that nobody subscribes to.
    subscribable: bool = True


EVENTS: dict[str, EventSpec] = {}


def register_event(code: str, label: str | Promise, default_channels: set[str] | frozenset[str],
                   *, subscribable: bool = True) -> EventSpec:
    """Add an event code. Templates live in ``templates/notify/<code>/<language>/``."""
    spec = EventSpec(code, label, frozenset(default_channels), subscribable)
    EVENTS[code] = spec
    return spec


def event_spec(code: str) -> EventSpec:
    """The registered event; an unknown code is a programming error and raises ``KeyError``."""
    return EVENTS[code]


def subscribable_events() -> list[EventSpec]:
    return [e for e in EVENTS.values() if e.subscribable]


class Event:
    CASE_CREATED = "case.created"
    CASE_ASSIGNED = "case.assigned"
    CASE_STATUS_CHANGED = "case.status_changed"
    CASE_REPLY_ADDED = "case.reply_added"
    CASE_MENTIONED = "case.mentioned"
    SLA_WARNING = "sla.warning"
    SLA_BREACHED = "sla.breached"
    CASE_ESCALATED = "case.escalated"
    CASE_CRISIS = "case.crisis"
    TEST = "notify.test"


_APP: set[str] = {Channel.IN_APP}
_APP_MAIL: set[str] = {Channel.IN_APP, Channel.EMAIL}

register_event(Event.CASE_CREATED, _("A case was registered"), _APP)
register_event(Event.CASE_ASSIGNED, _("A case was assigned to you"), _APP_MAIL)
register_event(Event.CASE_STATUS_CHANGED, _("The status of a case changed"), _APP)
register_event(Event.CASE_REPLY_ADDED, _("A message was added to a case"), _APP)
register_event(Event.CASE_MENTIONED, _("You were mentioned on a case"), _APP)
register_event(Event.SLA_WARNING, _("An SLA deadline is near"), _APP_MAIL)
register_event(Event.SLA_BREACHED, _("An SLA deadline was missed"), _APP_MAIL)
register_event(Event.CASE_ESCALATED, _("A case was escalated"), _APP_MAIL)
register_event(Event.CASE_CRISIS, _("A case was flagged as a crisis"), _APP_MAIL)
register_event(Event.TEST, _("Test message"), set(), subscribable=False)
