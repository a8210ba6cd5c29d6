"""Celery tasks of the triage app: thin wrappers around actions."""

from __future__ import annotations

from celery import shared_task

from kesu.org.models import User
from kesu.triage.actions_models import do_train_model_version


@shared_task(name="kesu.triage.train_model_version", ignore_result=True)
def train_model_version(actor_id: int | None, notes: str = "") -> str:
    """Train a new version (not promoted: an administrator compares and promotes it)."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    return do_train_model_version(actor=actor, notes=notes).version.version
