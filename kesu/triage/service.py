"""The Django side of triage: where models live, which one is current, one cached model per process.

Everything clever is in :mod:`kesu.triage.core` (no Django); this module only binds it to
the installation: the model root is ``DATA_DIR/triage/models``. Which version is current is
recorded in the database (:class:`~kesu.triage.models.ModelVersion` ``is_current``, changed only
by the audited actions in :mod:`kesu.triage.actions`), and mirrored into the ``current`` file
of the root when the promotion commits. Prediction follows the file: it needs no query per
intake, works for the command line and for tests without a database, and every process sees a
promotion on its next call. ``kesu triage versions`` and the models page flag a file that
disagrees with the database; promoting again repairs it. The examples of a training run are the
starter sentences, a user's CSV files and :func:`extra_examples` — the labels staff gave when
they confirmed or corrected a suggestion (TR-6).

Intake calls :func:`suggest` (one text) or :func:`suggest_many`; both load the current
model once per process and reload it when the current version changes (a read of the
``current`` file per call tells). What they load is the model's serving form (numpy arrays,
``store.load_serving``), so a web worker never imports scikit-learn or scipy (ADR 0011). If no
model exists yet, the starter model is trained on first use (a second or so, and scikit-learn
in that process) — ``kesu triage train --starter`` at install time avoids that pause.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from kesu.triage.core import store
from kesu.triage.core.model import Triage, TriageModel
from kesu.triage.core.serving import ServingModel
from kesu.triage.core.train import Example, TrainConfig, load_starter, train_model

_lock = threading.Lock()
_cache: dict[Path, ServingModel] = {}


def models_root() -> Path:
    """``DATA_DIR/triage/models``: every model version of this installation."""
    return Path(settings.DATA_DIR) / "triage" / "models"


def extra_examples() -> list[Example]:
    """Labelled examples from this installation: cases whose suggestions staff confirmed or corrected.

    One example per case, with the latest label of each field and the text as it was then;
    source ``corrected`` when any field was corrected, else ``confirmed``. :func:`train` adds
    them to every training run (TR-6).
    """
    from kesu.triage.core import FIELDS
    from kesu.triage.models import LabelSource, TriageLabel

    known_categories = set(FIELDS["category"])
    parents = _category_parents()
    by_case: dict[int, tuple[str, dict[str, str], set[str]]] = {}
    rows = TriageLabel.objects.order_by("case_id", "at", "pk").values_list("case_id", "field", "code", "text",
                                                                             "source")
    for case_id, name, code, text, source in rows.iterator(chunk_size=2000):
        if name == "category":
            code = _model_category(code, known_categories, parents)
        _text, labels, sources = by_case.setdefault(case_id, (text, {}, set()))
        labels[name] = code
        sources.add(source)
        by_case[case_id] = (text, labels, sources)  # the latest label's text: what was judged last
    return [Example(text, labels, source=LabelSource.CORRECTED if LabelSource.CORRECTED in sources
                    else LabelSource.CONFIRMED)
            for text, labels, sources in by_case.values()]


def _category_parents() -> dict[str, str | None]:
    from kesu.cases.models import Category

    codes = dict(Category.objects.values_list("pk", "code"))
    return {code: codes.get(parent) for code, parent in Category.objects.values_list("code", "parent_id")}


def _model_category(code: str, known: set[str], parents: dict[str, str | None]) -> str:
    """A sub-category trains as its nearest ancestor the model knows (``foreign_matter`` →
    ``product_quality``); a code with no such ancestor (an installation's own tree) as itself."""
    seen: set[str] = set()
    node: str | None = code
    while node is not None and node not in seen:
        if node in known:
            return node
        seen.add(node)
        node = parents.get(node)
    return code


def db_current_version() -> str | None:
    """The promoted version recorded in the database, if any (the record; the file mirrors it)."""
    from kesu.triage.models import ModelVersion

    version: str | None = (ModelVersion.objects.filter(is_current=True)
                           .values_list("version", flat=True).first())
    return version


def current_version(root: Path | None = None) -> str | None:
    """The version predictions use: the ``current`` file (the database's mirror), else the newest."""
    return store.current_version(root or models_root())


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
              ) -> ServingModel:
    """The given version, or the current one, in its serving form (the current one cached per
    process; trained from the starter set if there is none)."""
    root = root or models_root()
    with _lock:
        wanted = version or current_version(root)
        if wanted is None:
            if not train_if_missing:
                raise store.ModelNotFound(str(root))
            # Starter sentences only and no metrics: someone is waiting (and there may be no database).
            model = train(root=root, include_confirmed=False, config=TrainConfig(cv_folds=0)).model.serving()
            _cache[root] = model
            return model
        cached = _cache.get(root)
        if cached is not None and cached.version == wanted:
            return cached
        model = store.load_serving(root, wanted)
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
