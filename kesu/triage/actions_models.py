"""Model versions and triage settings: train, register, promote, roll back, set the threshold.

The database records which version is current (``ModelVersion.is_current``, one at most, a
unique constraint) and who promoted it; the store's ``current`` file is rewritten on commit
so that prediction, which follows the file, switches in every process on its next call.
Every promotion, rollback and settings change is an audit record (``kesu.core.audit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kesu.core import audit
from kesu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kesu.org.models import User
from kesu.org.roles import Cap, has_cap
from kesu.triage import service
from kesu.triage.core import store
from kesu.triage.core.train import Example, TrainConfig
from kesu.triage.models import ModelVersion, TriageSettings

MIN_THRESHOLD, MAX_THRESHOLD = 0.5, 1.0


def _require_admin(actor: User | None) -> None:
    if actor is not None and not has_cap(actor.role, Cap.ADMIN):
        raise Forbidden(_("Only an administrator may train, promote or configure triage models."))


def _created_at(manifest: dict[str, Any]) -> datetime:
    parsed = parse_datetime(str(manifest.get("created_at") or ""))
    return parsed if parsed is not None and parsed.tzinfo is not None else timezone.now()


def sync_model_versions(root: Path | None = None) -> list[ModelVersion]:
    """Register every version on disk that the database does not know yet; all rows, newest first.

    Run by the actions below (never on a page view). When no version was ever promoted, the
    one the ``current`` file names is adopted as current, without an audit record: nobody chose it.
    """
    root = root or service.models_root()
    known = set(ModelVersion.objects.values_list("version", flat=True))
    new = [ModelVersion(version=m["version"], created_at=_created_at(m),
                        training_size=m.get("training_size", 0), sources=m.get("sources") or {},
                        metrics=m.get("metrics") or {})
           for m in store.list_versions(root) if m["version"] not in known]
    ModelVersion.objects.bulk_create(new, ignore_conflicts=True)
    if not ModelVersion.objects.filter(is_current=True).exists():
        on_file = store.current_version(root)
        if on_file:
            ModelVersion.objects.filter(version=on_file).update(is_current=True, promoted_at=timezone.now())
    return list(ModelVersion.objects.all())


def _mirror(root: Path, version: str) -> None:
    transaction.on_commit(lambda: store.set_current(root, version))


def do_promote_model_version(version: str, *, actor: User | None, notes: str = "",
                             root: Path | None = None, rollback: bool = False) -> ModelVersion:
    """Make ``version`` the one intake uses. ``actor`` None: the command line (no user)."""
    _require_admin(actor)
    root = root or service.models_root()
    try:
        store.check_version(version)
    except store.ModelNotFound as exc:
        raise NotFound(_("No model version {version} was found.").format(version=version)) from exc
    if not (root / version / store.MODEL_FILE).is_file():
        raise NotFound(_("No model version {version} was found.").format(version=version))
    with transaction.atomic():
        sync_model_versions(root)
        target = ModelVersion.objects.select_for_update().get(version=version)
        current = ModelVersion.objects.select_for_update().filter(is_current=True).first()
        if current is not None and current.pk == target.pk:
            _mirror(root, version)  # repairs a file that disagrees with the database
            return target
        if current is not None:
            ModelVersion.objects.filter(pk=current.pk).update(is_current=False)
        target.is_current, target.promoted_by, target.promoted_at = True, actor, timezone.now()
        if not rollback:
            target.previous = current
        if notes:
            target.notes = notes
        target.save(update_fields=["is_current", "promoted_by", "promoted_at", "previous", "notes"])
        audit.record("triage.model_rolled_back" if rollback else "triage.model_promoted", actor=actor,
                     object_type="triage.model_version", object_id=version,
                     data={"old": current.version if current else None, "new": version, "notes": notes})
        _mirror(root, version)
    return target


def do_rollback_model_version(*, actor: User | None, root: Path | None = None) -> ModelVersion:
    """Return to the version that was current before the current one was promoted."""
    _require_admin(actor)
    with transaction.atomic():
        sync_model_versions(root)
        current = ModelVersion.objects.select_related("previous").filter(is_current=True).first()
        if current is None or current.previous is None:
            raise Conflict(_("There is no earlier version to roll back to."), code="no_previous_version")
        return do_promote_model_version(current.previous.version, actor=actor, root=root, rollback=True)


@dataclass(frozen=True)
class TrainOutcome:
    version: ModelVersion
    promoted: bool


def do_train_model_version(*, actor: User | None, promote: bool = False, notes: str = "",
                           root: Path | None = None, config: TrainConfig | None = None,
                           examples: list[Example] | None = None, starter: bool = True) -> TrainOutcome:
    """Train a new version on the starter sentences, ``examples`` and every confirmed or corrected
    case, register it with its cross-validated metrics, and promote it if asked.

    Training takes seconds to a minute and runs outside any transaction (the console runs it
    as a Celery task); only the registration is transactional.
    """
    _require_admin(actor)
    root = root or service.models_root()
    folds = int(getattr(settings, "TRIAGE_TRAIN_CV_FOLDS", 5))
    result = service.train(starter=starter, examples=examples or [], root=root, make_current=False,
                           config=config or TrainConfig(cv_folds=folds))
    version = result.model.version
    with transaction.atomic():
        sync_model_versions(root)
        row = ModelVersion.objects.get(version=version)
        if notes:
            row.notes = notes
            row.save(update_fields=["notes"])
        audit.record("triage.model_trained", actor=actor, object_type="triage.model_version",
                     object_id=version, data={"training_size": row.training_size, "sources": row.sources})
        if promote:
            row = do_promote_model_version(version, actor=actor, root=root)
    return TrainOutcome(row, promote)


def do_update_triage_settings(*, auto_apply_threshold: float, actor: User | None,
                              auto_apply: bool = True) -> TriageSettings:
    """Whether, and from which confidence (0.5 … 1), a suggestion fills a field intake left empty.

    ``actor`` None: installation scripts and test set-ups (no audit actor).
    """
    _require_admin(actor)
    if not MIN_THRESHOLD <= auto_apply_threshold <= MAX_THRESHOLD:
        message = _("Between {low} and {high}.").format(low=MIN_THRESHOLD, high=MAX_THRESHOLD)
        raise ValidationFailed(_("Please correct the marked fields."),
                               fields={"auto_apply_threshold": [message]})
    with transaction.atomic():
        row, _created = TriageSettings.objects.select_for_update().get_or_create(pk=1)
        old = {"auto_apply": row.auto_apply, "auto_apply_threshold": row.auto_apply_threshold}
        row.auto_apply, row.auto_apply_threshold, row.updated_by = auto_apply, auto_apply_threshold, actor
        row.save(update_fields=["auto_apply", "auto_apply_threshold", "updated_by", "updated_at"])
        new = {"auto_apply": auto_apply, "auto_apply_threshold": auto_apply_threshold}
        audit.record("triage.settings_changed", actor=actor, object_type="triage.settings", object_id=1,
                     data={"old": {k: v for k, v in old.items() if new[k] != v},
                           "new": {k: v for k, v in new.items() if old[k] != v}})
    return row
