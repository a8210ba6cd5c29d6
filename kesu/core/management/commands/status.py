"""``kesu status``: is this installation healthy? Database, migrations, broker, worker.

Exit status 0 when the database answers, every migration is applied and a Celery worker ran
the heartbeat task within the last five minutes; 1 otherwise, so it can serve as a health
check for a supervisor or a monitoring probe.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.core.models import WorkerHeartbeat
from kesu.core.tasks import HEARTBEAT_STALE_SECONDS


def describe_broker() -> str:
    """The broker's kind and location, never its password."""
    url = str(settings.CELERY_BROKER_URL)
    parts = urlsplit(url)
    if parts.scheme == "filesystem":
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", "?")
        return _("filesystem (embedded), queue folder {folder}").format(folder=folder)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return _("{scheme} at {where}").format(scheme=parts.scheme, where=f"{host}{port}{parts.path or ''}")


def describe_database() -> str:
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"SQLite {db['NAME']}"
    host = db.get("HOST") or _("local socket")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return _("{vendor} database {name} at {where}").format(
        vendor=connection.vendor, name=repr(db["NAME"]), where=f"{host}{port}")


class Command(BaseCommand):
    help = ("Show the database, migration state, broker and when a Celery worker was last seen; "
            "exit 1 when something is wrong.")

    def handle(self, *args: Any, **opts: Any) -> None:
        problems: list[str] = []
        self.stdout.write(_("database:   {value}").format(value=describe_database()))
        try:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as exc:
            self.stdout.write(
                _("migrations: unknown, the database did not answer ({error})").format(error=exc))
            raise CommandError(_("status: the database is not reachable")) from exc
        applied = len(executor.loader.applied_migrations)
        if pending:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in pending[:5])
            names += ", …" if len(pending) > 5 else ""
            self.stdout.write(_("migrations: {count} not applied ({names}); run kesu init").format(
                count=len(pending), names=names))
            problems.append(_("migrations pending"))
        else:
            self.stdout.write(_("migrations: all {count} applied").format(count=applied))
        self.stdout.write(_("broker:     {value}").format(value=describe_broker()))
        problems += self._worker()
        if problems:
            raise CommandError(_("status: {problems}").format(problems="; ".join(problems)))
        self.stdout.write(_("status: ok"))

    def _worker(self) -> list[str]:
        try:
            beats = list(WorkerHeartbeat.objects.order_by("-last_seen"))
        except DatabaseError:
            self.stdout.write(_("worker:     unknown (no heartbeat table; run kesu init)"))
            return [_("no heartbeat table")]
        if not beats:
            self.stdout.write(_("worker:     never seen; start one (kesu serve, or celery -A kesu worker)"))
            return [_("no worker has ever been seen")]
        now = timezone.now()
        for beat in beats:
            age = int((now - beat.last_seen).total_seconds())
            when = timezone.localtime(beat.last_seen).isoformat(timespec="seconds")
            self.stdout.write(_("worker:     {name} last seen {when} ({age} s ago)").format(
                name=beat.name, when=when, age=age))
        if now - beats[0].last_seen > timedelta(seconds=HEARTBEAT_STALE_SECONDS):
            return [_("no worker seen in the last {minutes} minutes").format(
                minutes=HEARTBEAT_STALE_SECONDS // 60)]
        return []
