"""Helpers of the intake/learning/page/API tests: a model root with the starter model, wiring checks.

``kesu.cases`` calls ``do_triage_case`` / ``do_triage_cases`` once the lead wires triage into
intake. Until then :func:`triaged` runs triage itself, so the channel tests pass before and
after; once wired they check what the real entry point stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kesu.cases.models import Case
from kesu.triage.core import store
from kesu.triage.core.model import TriageModel
from kesu.triage.models import CaseTriage, TriageSettings


def triaged(case: Case, *, bulk: bool = False) -> CaseTriage:
    """The triage intake stored for the case (one model pass per case, or per import batch)."""
    return CaseTriage.objects.get(case=case)


def product_defaults() -> None:
    """Triage settings as shipped (auto-apply on, 0.8), whatever a shared fixture chose for other apps."""
    TriageSettings.objects.update_or_create(pk=1, defaults={"auto_apply": True, "auto_apply_threshold": 0.8})


def models_dir(data_dir: Path) -> Path:
    return data_dir / "triage" / "models"


# --- model roots ----------------------------------------------------------------------------------

def shared_data_dir(factory: pytest.TempPathFactory, model: TriageModel) -> Path:
    """A data directory whose only model is ``model`` (for a session-scoped fixture)."""
    data = factory.mktemp("triage-data")
    store.save(model, models_dir(data))
    return data


def own_data_dir(settings: Any, tmp_path: Path, model: TriageModel) -> Path:
    """Point DATA_DIR at a directory of this test's own holding ``model`` as current; its model root.

    For tests that promote or train: they change the root's ``current`` file.
    """
    settings.DATA_DIR = tmp_path / "data"
    root = models_dir(settings.DATA_DIR)
    store.save(model, root)
    return root
