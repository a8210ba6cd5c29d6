"""Codes of e-mail intake: lowercase, stable, with translated labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (local test servers only)")


class Outcome(models.TextChoices):
    NEW_CASE = "new_case", _("New case")
    REPLY = "reply", _("Reply on a case")
    IGNORED = "ignored", _("Ignored (automatic mail)")


#: Case event written when a mail's attachment fails the type/size check (shown on the timeline).
ATTACHMENT_REJECTED = "mailin.attachment_rejected"

#: Timeline labels of the case events this app writes; kesu/console/timeline.py merges them.
EVENT_LABELS = {ATTACHMENT_REJECTED: _("E-mail attachment refused")}
