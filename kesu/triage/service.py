"""The Django side of triage: where models live, which one is current, one cached model per process.

Everything clever is in :mod:`kesu.triage.core` (no Django); this module only binds it to
the installation: the model root is ``DATA_DIR/triage/models``, the current version is the
``current`` file there (until promotion moves into the database), and the examples of a
training run are the starter sentences, a user's CSV files and :func:`extra_examples` —
the seam through which cases confirmed by staff become training data (TR-6).

Intake calls :func:`suggest` (one text) or :func:`suggest_many`; both load the current
model once per process and reload it when ``current`` changes. If no model exists yet, the
starter model is trained on first use (a few seconds) — ``kesu triage train --starter`` at
install time avoids that pause.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from kesu.triage.core import store
from kesu.triage.core.model import Triage, TriageModel
from kesu.triage.core.train import Example, TrainConfig, load_starter, train_model

_lock = threading.Lock()
_cache: dict[Path, TriageModel] = {}


def models_root() -> Path:
    """``DATA_DIR/triage/models``: every model version of this installation."""
    return Path(settings.DATA_DIR) / "triage" / "models"


def extra_examples() -> list[Example]:
    """Labelled examples from this installation (cases whose suggestions staff confirmed or corrected).

    The seam for TR-6: return ``Example(text, {"kind": …, "category": …}, source="confirmed")``
    for every confirmed case; :func:`train` adds them to every training run. Empty until the
    suggestion tables exist.
    """
    return []


@dataclass(frozen=True)
class TrainResult:
    model: TriageModel
    path: Path


def train(*, starter: bool = True, examples: Iterable[Example] = (), include_confirmed: bool = True,
          root: Path | None = None, make_current: bool = True,
          config: TrainConfig | None = None) -> TrainResult:
    """Train a new version from the chosen sources, save it under ``root``, optionally make it current."""
    rows: list[Example] = load_starter() if starter else []
    rows.extend(examples)
    if include_confirmed:
        rows.extend(extra_examples())
    model = train_model(rows, config=config)
    root = root or models_root()
    base, n = model.version, 1
    while (root / model.version).exists():   # the same data trained twice within one second
        n += 1
        model.version = f"{base}-{n}"
    try:
        path = store.save(model, root, make_current=make_current)
    except FileExistsError:  # another process trained the same data in the same second
        path = root / model.version
        if make_current:
            store.set_current(root, model.version)
    return TrainResult(model, path)


def get_model(version: str | None = None, *, root: Path | None = None, train_if_missing: bool = True
              ) -> TriageModel:
    """The given version, or the current one (cached per process; trained from the starter set if none)."""
    root = root or models_root()
    with _lock:
        wanted = version or store.current_version(root)
        if wanted is None:
            if not train_if_missing:
                raise store.ModelNotFound(str(root))
            model = train(root=root, config=TrainConfig(cv_folds=0)).model  # no metrics: someone is waiting
            _cache[root] = model
            return model
        cached = _cache.get(root)
        if cached is not None and cached.version == wanted:
            return cached
        model = store.load(root, wanted)
        if version is None:
            _cache[root] = model
        return model


def suggest(text: str, *, customer_level: str | None = None, repeats: int = 0) -> Triage:
    """Suggested kind, category, validity, severity, priority, sentiment, emotion for one text (TR-6)."""
    return get_model().predict(text, customer_level=customer_level, repeats=repeats)


def suggest_many(texts: Sequence[str], *, customer_levels: Sequence[str | None] | None = None,
                 repeats: Sequence[int] | None = None) -> list[Triage]:
    """:func:`suggest` for many texts at once (imports, mail batches): one matrix, one pass."""
    return get_model().predict_many(texts, customer_levels=customer_levels, repeats=repeats)
