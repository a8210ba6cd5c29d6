"""Celery tasks of e-mail intake: thin wrappers around ``kesu.mailin.imap``."""

from __future__ import annotations

from celery import shared_task

from kesu.mailin.imap import poll_mailboxes as _poll


@shared_task(name="kesu.mailin.tasks.poll_mailboxes", ignore_result=True)
def poll_mailboxes(name: str | None = None) -> int:
    """Poll every active IMAP mailbox once (beat: every 60 s), or only the one called ``name``
    ("poll now" on /mailin/). Returns the messages fetched.

    Idempotent: an overlapping run fetches the same unseen messages and the Message-ID record
    makes the second ingest a no-op. A no-op when no mailbox is configured.
    """
    return sum(report.fetched for report in _poll(name))
