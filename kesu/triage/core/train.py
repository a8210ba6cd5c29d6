"""Training: labelled examples in, a :class:`TriageModel` out, deterministically.

Examples come from three places, all reduced to :class:`Example` (text + the fields it
labels): kesu's own starter sentences (``kesu/triage/data/starter/*.tsv``), a CSV file the
user brings (one field per file, labels mapped to codes), and — added by the Django side —
cases whose suggestions staff confirmed or corrected (TR-6). Each field's classifier learns
from the examples that label it; the features are fitted on all texts.

Classifier: a linear SVM on naive-Bayes-scaled features (NB-SVM, :mod:`nbsvm`) with sigmoid
calibration by cross-validation (``CalibratedClassifierCV``), balanced class weights.
Linear models on sparse n-grams train in seconds on a CPU, need no GPU or download, and
predict in microseconds; calibration makes the confidence mean what staff think it means
(0.8 ≈ right four times in five), which a raw SVM margin or a class-weighted logistic
regression does not. A field whose smallest class has fewer than ten examples falls back
to logistic regression, which needs no calibration folds.
Everything uses fixed seeds, so the same examples give the same model.

scikit-learn (and the featurizer, which needs it) is imported by the functions that train,
not by this module: the web process imports it for :class:`Example`, :class:`TrainConfig` and
the CSV readers, and a web worker should not carry ~100 MB of scikit-learn and scipy that
only training uses (ADR 0011).
"""

from __future__ import annotations

import csv
import hashlib
import json
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kesu.triage.core import FIELDS
from kesu.triage.core.evaluate import score
from kesu.triage.core.heads import LinearHead
from kesu.triage.core.lexicon import Lexicon
from kesu.triage.core.model import TriageModel
from kesu.triage.core.segment import Segmenter, read_words
from kesu.triage.core.serving import FeatureConfig

STARTER_DIR = Path(__file__).resolve().parent.parent / "data" / "starter"


#: Below this many examples in the smallest class, the calibration folds are too small to fit a
#: sigmoid (it can come out inverted); logistic regression is used instead.
MIN_CALIBRATION_CLASS = 10


class TrainingError(ValueError):
    """Bad training input (unknown column, label or field); the message names it."""


@dataclass(frozen=True)
class Example:
    text: str
    labels: Mapping[str, str]
    source: str = "starter"


@dataclass(frozen=True)
class TrainConfig:
    features: FeatureConfig = field(default_factory=FeatureConfig)
    classifier: str = "nbsvm"         # "nbsvm", "svm" (each + sigmoid calibration) or "logreg"
    C: float = 1.0
    class_weight: str | None = "balanced"
    cv_folds: int = 5                 # folds for the metrics stored in the manifest; 0: none
    seed: int = 0


def load_starter(directory: Path | str = STARTER_DIR) -> list[Example]:
    """kesu's own example sentences: tab-separated files with a header, ``-`` = not labelled."""
    examples = []
    for path in sorted(Path(directory).glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            for lineno, row in enumerate(rows, start=2):
                text = (row.pop("text", "") or "").strip()
                labels = {k: v.strip() for k, v in row.items() if k in FIELDS and v and v.strip() != "-"}
                for name, code in labels.items():
                    if code not in FIELDS[name]:
                        raise TrainingError(f"{path.name}:{lineno}: unknown {name} code {code!r}")
                if text:
                    examples.append(Example(text, labels, source="starter"))
    return examples


def load_label_map(path: Path | str) -> dict[str, str]:
    """A label map file: JSON object or TOML table ``{"csv label": "code"}``."""
    p = Path(path)
    data: Any = tomllib.loads(p.read_text(encoding="utf-8")) if p.suffix == ".toml" else json.loads(
        p.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise TrainingError(f"{p.name}: a label map must be an object of label → code")
    return {str(k): str(v) for k, v in data.items()}


def read_csv_examples(path: Path | str, *, text_column: str, label_column: str, field_name: str,
                      label_map: Mapping[str, str] | None = None,
                      source: str = "csv") -> tuple[list[Example], int]:
    """Examples for one field from a CSV file, and how many rows were skipped (empty or unmapped).

    A label is mapped by ``label_map`` when given, else it must already be a code of the field.
    """
    if field_name not in FIELDS:
        raise TrainingError(f"unknown field {field_name!r}; one of {', '.join(FIELDS)}")
    codes = set(FIELDS[field_name])
    examples, skipped = [], 0
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {text_column, label_column} - set(reader.fieldnames or [])
        if missing:
            raise TrainingError(f"{Path(path).name}: no column {', '.join(sorted(missing))}")
        for row in reader:
            text = (row[text_column] or "").strip()
            label = (row[label_column] or "").strip()
            code = label_map.get(label, "") if label_map is not None else label
            if not text or code not in codes:
                skipped += 1
                continue
            examples.append(Example(text, {field_name: code}, source=source))
    return examples, skipped


def make_classifier(config: TrainConfig, y: Sequence[str]) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    from kesu.triage.core.nbsvm import NBSVC

    smallest = min(Counter(y).values())
    if config.classifier in ("svm", "nbsvm") and smallest >= MIN_CALIBRATION_CLASS:
        svm: Any = (NBSVC(C=config.C, class_weight=config.class_weight, random_state=config.seed)
                    if config.classifier == "nbsvm" else
                    LinearSVC(C=config.C, class_weight=config.class_weight, random_state=config.seed))
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=config.seed)
        return CalibratedClassifierCV(svm, method="sigmoid", cv=folds)
    return LogisticRegression(C=max(config.C, 1.0) * 4, class_weight=config.class_weight, max_iter=2000,
                              random_state=config.seed)


def digest(examples: Sequence[Example], config: TrainConfig) -> str:
    h = hashlib.sha256(json.dumps(asdict(config), sort_keys=True, default=str).encode())
    for ex in examples:
        h.update(ex.text.encode())
        h.update(json.dumps(dict(ex.labels), sort_keys=True).encode())
    return h.hexdigest()


def train_model(examples: Iterable[Example], *, config: TrainConfig | None = None,
                lexicon: Lexicon | None = None, domain_words: Iterable[str] | None = None,
                fields: Iterable[str] | None = None, version: str | None = None,
                now: datetime | None = None) -> TriageModel:
    """Fit the featurizer on every text and one classifier per field that has ≥ 2 codes labelled.

    ``lexicon`` and ``domain_words`` default to the files shipped in ``kesu/triage/data``.
    """
    from kesu.triage.core.features import Featurizer

    config = config or TrainConfig()
    examples = list(examples)
    if not examples:
        raise TrainingError("no training examples")
    lexicon = lexicon if lexicon is not None else Lexicon.from_dir()
    words = list(domain_words) if domain_words is not None else read_words()
    segmenter = Segmenter([*words, *lexicon.words])
    featurizer = Featurizer(config.features, segmenter, lexicon)
    docs = featurizer.prepare([ex.text for ex in examples])
    X = featurizer.fit_transform(docs)
    wanted = tuple(fields) if fields is not None else FIELDS
    classifiers, metrics = {}, {}
    for name in wanted:
        rows = [i for i, ex in enumerate(examples) if name in ex.labels]
        y = [examples[i].labels[name] for i in rows]
        if len(set(y)) < 2:
            continue
        Xf = X[rows]
        classifiers[name] = LinearHead.from_estimator(make_classifier(config, y).fit(Xf, y))
        if config.cv_folds:
            metrics[name] = cv_metrics(Xf, y, config)
    if not classifiers:
        raise TrainingError("no field has examples of two or more codes")
    created = (now or datetime.now(UTC)).astimezone(UTC)
    version = version or f"{created:%Y%m%d-%H%M%S}-{digest(examples, config)[:6]}"
    return TriageModel(featurizer, classifiers, version=version, created_at=created.isoformat(),
                       training_size=len(examples), metrics=metrics,
                       sources=dict(Counter(ex.source for ex in examples)))


def cv_metrics(X: Any, y: Sequence[str], config: TrainConfig) -> dict[str, Any]:
    """Cross-validated accuracy and macro-F1 of one field (TF-IDF vocabulary fitted on all texts)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    smallest = min(Counter(y).values())
    folds = min(config.cv_folds, smallest)
    if folds < 2:
        return {}
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.seed)
    predicted = cross_val_predict(make_classifier(config, y), X, np.asarray(y), cv=cv)
    report = score(list(y), [str(p) for p in predicted])
    return {"n": report.n, "accuracy": round(report.accuracy, 4), "macro_f1": round(report.macro_f1, 4),
            "folds": folds, "method": f"{folds}-fold cross-validation"}
