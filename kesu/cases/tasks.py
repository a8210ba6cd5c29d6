"""Celery tasks of the cases app: thin, idempotent wrappers around actions."""

from __future__ import annotations

from celery import shared_task

from kesu.cases.actions_import import do_run_import, do_triage_import


@shared_task(name="kesu.cases.run_import")
def run_import(job_id: int) -> None:
    """Run import job ``job_id``; a job that is already running or finished is left alone."""
    do_run_import(job_id)


@shared_task(name="kesu.cases.triage_import")
def triage_import(job_id: int) -> None:
    """Add the triage suggestions import job ``job_id`` left out (ADR 0010); safe to repeat."""
    do_triage_import(job_id)
