"""Read-side querysets of e-mail intake for the console status page."""

from __future__ import annotations

from django.db.models import QuerySet

from kesu.mailin.choices import Outcome
from kesu.mailin.models import IngestedMessage, Mailbox


def mailboxes() -> QuerySet[Mailbox]:
    return Mailbox.objects.select_related("default_org_unit").order_by("name")


def ingested(*, mailbox: str = "", outcome: str = "") -> QuerySet[IngestedMessage]:
    """Taken-in messages, newest first, optionally of one mailbox and/or outcome (unknown: ignored)."""
    qs = IngestedMessage.objects.select_related("case").order_by("-created_at", "-pk")
    if mailbox:
        qs = qs.filter(mailbox=mailbox)
    if outcome in Outcome.values:
        qs = qs.filter(outcome=outcome)
    return qs
