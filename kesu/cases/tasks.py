"""Celery tasks of the cases app: thin, idempotent wrappers around actions."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from kesu.cases.actions_import import do_expire_stale_imports, do_run_import, do_triage_import


@shared_task(name="kesu.cases.run_import")
def run_import(job_id: int) -> None:
    """Run import job ``job_id``; a job that is already running or finished is left alone."""
    do_run_import(job_id)


@shared_task(
    name="kesu.cases.triage_import", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=8
)
def triage_import(job_id: int) -> None:
    """Add the triage suggestions import job ``job_id`` left out (ADR 0010); safe to repeat.

    Retried after a database error (a lost connection, a deadlock with a live action): each
    500-case batch commits on its own and a rerun skips the cases already triaged.
    """
    do_triage_import(job_id)


@shared_task(name="kesu.cases.expire_stale_imports")
def expire_stale_imports() -> None:
    """Mark failed the import jobs whose process stopped without finishing them (beat, 5 min)."""
    do_expire_stale_imports()
