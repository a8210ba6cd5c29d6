"""Permission-checked reads of triage: a case's triage, the model versions (ARCHITECTURE rule 2).

Versions are listed from the store and the database together, without writing: a version
trained on the command line shows before any action registered it ("not registered").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kesu.cases.access import access_case
from kesu.core.errors import Forbidden
from kesu.org.models import User
from kesu.org.roles import Cap, has_cap
from kesu.triage import service
from kesu.triage.core import store
from kesu.triage.models import CaseTriage, ModelVersion


def access_case_triage(user: User, number: str) -> tuple[Any, CaseTriage | None]:
    """The case (scope-checked, 404 alike for missing and not yours) and its triage row, if any."""
    case = access_case(user, number)
    return case, CaseTriage.objects.filter(case=case).first()


@dataclass(frozen=True)
class VersionRow:
    version: str
    created_at: datetime
    training_size: int
    sources: dict[str, int]
    metrics: dict[str, Any]
    is_current: bool
    registered: bool
    previous: str | None
    promoted_by: str | None
    promoted_at: datetime | None
    notes: str


def _parse(value: Any) -> datetime:
    parsed = parse_datetime(str(value or ""))
    return parsed if parsed is not None else datetime.fromtimestamp(0).astimezone()


def model_versions_for(user: User, root: Path | None = None) -> tuple[list[VersionRow], str | None]:
    """Every version (newest first) and the version the ``current`` file names.

    The second value differs from the database's current version only if a promotion's file
    write failed or someone ran ``kesu triage use`` on another root; the models page says so.
    """
    if not has_cap(user.role, Cap.CASE_VIEW):
        raise Forbidden(_("Your role may not see triage models."))
    root = root or service.models_root()
    rows = {m.version: m for m in ModelVersion.objects.select_related("previous", "promoted_by")}
    out = [
        VersionRow(version=m.version, created_at=m.created_at, training_size=m.training_size,
                   sources=m.sources, metrics=m.metrics, is_current=m.is_current, registered=True,
                   previous=m.previous.version if m.previous else None,
                   promoted_by=m.promoted_by.username if m.promoted_by else None,
                   promoted_at=m.promoted_at, notes=m.notes)
        for m in rows.values()
    ]
    db_current = next((m.version for m in rows.values() if m.is_current), None)
    on_file = store.current_version(root)
    for manifest in store.list_versions(root):
        if manifest["version"] in rows:
            continue
        out.append(VersionRow(
            version=manifest["version"], created_at=_parse(manifest.get("created_at")),
            training_size=int(manifest.get("training_size") or 0), sources=manifest.get("sources") or {},
            metrics=manifest.get("metrics") or {},
            is_current=db_current is None and manifest["version"] == on_file, registered=False,
            previous=None, promoted_by=None, promoted_at=None, notes=""))
    out.sort(key=lambda r: (r.created_at, r.version), reverse=True)
    return out, on_file
