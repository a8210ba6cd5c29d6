"""Cross-cutting tables: the global audit log (logins, exports, user and token changes)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """Raised when code tries to update or delete an append-only row."""


class AppendOnlyModel(models.Model):
    """Rows are inserted once; the ORM refuses updates and deletes."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class AuditChainHead(models.Model):
    """One row per chain; locked while appending so the global chain stays linear."""

    name = models.CharField(max_length=40, unique=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.name


class AuditEvent(AppendOnlyModel):
    """Non-case audit trail: logins, exports, imports, users, tokens, settings (SE-3)."""

    seq = models.BigIntegerField(unique=True)
    type = models.CharField(_("type"), max_length=60, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"#{self.seq} {self.type}"


class WorkerHeartbeat(models.Model):
    """When each Celery worker last ran the periodic heartbeat task (``kesu status`` reads it).

    Kept in the database rather than the cache: ``kesu status`` already checks the database,
    a heartbeat must survive a cache flush or eviction, and one row per worker is tiny.
    """

    name = models.CharField(_("worker"), max_length=200, unique=True)
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.name
