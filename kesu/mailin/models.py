"""Mailboxes that receive customer mail, and the record of every message taken in (IN-1)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kesu.cases.choices import Kind
from kesu.mailin.choices import Outcome, Security


class Mailbox(models.Model):
    """A configured address. With an IMAP host it is polled; without one it only takes piped mail.

    Policy lives in the database (ARCHITECTURE rule 7), so admins add mailboxes with
    ``kesu mailbox add`` and no restart. The password is stored like any other secret of the
    database: whoever can read the database can read it.
    """

    name = models.CharField(_("name"), max_length=60, unique=True)
    address = models.EmailField(_("e-mail address"), blank=True)
    host = models.CharField(_("IMAP host"), max_length=200, blank=True)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    security = models.CharField(_("connection security"), max_length=10, choices=Security.choices,
                                default=Security.SSL)
    username = models.CharField(_("user name"), max_length=200, blank=True)
    password = models.CharField(_("password"), max_length=200, blank=True)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    processed_folder = models.CharField(
        _("folder for processed mail"), max_length=200, blank=True,
        help_text=_("If set, processed messages are moved there; otherwise they are only marked as read."),
    )
    default_org_unit = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("default org unit")
    )
    default_kind = models.CharField(_("default kind"), max_length=20, choices=Kind.choices,
                                    default=Kind.COMPLAINT)
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.name

    @property
    def polls_imap(self) -> bool:
        return bool(self.host and self.username)


class IngestedMessage(models.Model):
    """One row per distinct message ever taken in: the idempotency record of e-mail intake.

    ``message_id`` is the Message-ID without brackets, or "sha256:<hex>" of the raw bytes for a
    message without one. The unique constraint (not a check-then-insert) makes a repeated
    delivery, a re-poll after a crash or the same mail sent to two mailboxes a no-op.
    """

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    mailbox = models.CharField(_("mailbox"), max_length=60)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("case"))
    # Primary key of the CaseMessage a reply became (kesu.cases message log).
    case_message_id = models.BigIntegerField(null=True, blank=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    # Why it was ignored, or which case number a non-matching sender mentioned.
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Attachments refused by the type/size check: [{"name": ..., "code": ..., "message": ...}].
    rejected_attachments = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(_("received at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("ingested e-mail")
        verbose_name_plural = _("ingested e-mails")
        indexes = [models.Index(fields=["mailbox", "-created_at"], name="mailin_mailbox_recent_idx")]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.outcome}"
