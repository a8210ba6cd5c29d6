"""Outbox, in-app notifications, per-user preferences and webhook endpoints (WF-6).

The outbox row is the unit of delivery: written in the transaction of the change that caused
it, sent later by a worker, retried with backoff. See docs/adr/0005-notification-outbox.md.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesu.notify.choices import Channel, OutboxState, WebhookKind, WebhookLanguage


class WebhookEndpoint(models.Model):
    """A group robot or HTTP receiver an administrator subscribed to some events."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=WebhookKind.choices,
                            default=WebhookKind.GENERIC)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=200, blank=True,
                              help_text=_("Signing secret; leave empty if the receiver does not "
                                          "check signatures."))
    events = models.JSONField(_("events"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=WebhookLanguage.choices,
                                default=WebhookLanguage.ZH_HANS)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name


class Outbox(models.Model):
    """One message to one receiver over one channel, rendered when the event happened."""

    delivery_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(_("event"), max_length=60)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="outbox", verbose_name=_("recipient"))
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="outbox", verbose_name=_("webhook endpoint"))
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="outbox", verbose_name=_("case"))
    address = models.CharField(_("address"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=500, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)

    state = models.CharField(_("state"), max_length=20, choices=OutboxState.choices,
                             default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    # A claim: who is sending (token) and until when the claim holds if that worker dies.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notify_outbox_due_idx"),
            models.Index(fields=["state", "-created_at"], name="notify_outbox_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.channel} #{self.pk}"


class Notification(models.Model):
    """An in-app notification: what the user sees under /notifications/."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                             verbose_name=_("user"))
    outbox = models.OneToOneField(Outbox, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="notification")
    event = models.CharField(_("event"), max_length=60)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="notifications", verbose_name=_("case"))
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notify_user_unread_idx")]

    def __str__(self) -> str:
        return self.subject


class Preference(models.Model):
    """A user's choice for one event and channel; absent rows mean the event's default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notify_preferences")
    event = models.CharField(_("event"), max_length=60)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "event", "channel"], name="notify_pref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event} {self.channel}={self.enabled}"
