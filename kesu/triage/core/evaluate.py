"""Scores per field: accuracy, macro-F1 and the confusion matrix.

Macro-F1 is the headline because the classes are unbalanced (few ``serious`` or ``vague``
cases): a model that always says the common code has high accuracy and a poor macro-F1.
By default the model is scored on what users see — predictions after the rules; pass
``raw=True`` to score the classifier alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kesu.triage.core import FIELDS

if TYPE_CHECKING:
    from kesu.triage.core.model import TriageModel
    from kesu.triage.core.serving import ServingModel
    from kesu.triage.core.train import Example


@dataclass(frozen=True)
class FieldReport:
    n: int
    accuracy: float
    macro_f1: float
    labels: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]   # rows: true label, columns: predicted label

    def to_dict(self) -> dict[str, object]:
        return {"n": self.n, "accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4),
                "labels": list(self.labels), "confusion": [list(r) for r in self.confusion]}


def score(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None) -> FieldReport:
    # Imported here: the web process imports this module for one admin view (ADR 0011).
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    present = sorted(set(y_true) | set(y_pred))
    order = [x for x in labels if x in present] if labels else present
    order += [x for x in present if x not in order]
    matrix = confusion_matrix(y_true, y_pred, labels=order) if y_true else []
    return FieldReport(
        n=len(y_true),
        accuracy=float(accuracy_score(y_true, y_pred)) if y_true else 0.0,
        macro_f1=float(f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro",
                                zero_division=0)) if y_true else 0.0,
        labels=tuple(order),
        confusion=tuple(tuple(int(v) for v in row) for row in matrix),
    )


def evaluate(model: TriageModel | ServingModel, examples: Iterable[Example],
             fields: Iterable[str] | None = None, *, raw: bool = False) -> dict[str, FieldReport]:
    """One report per field that both the examples label and the model predicts."""
    examples = list(examples)
    wanted = [f for f in (fields or FIELDS) if f in model.fields]
    reports = {}
    for name in wanted:
        rows = [ex for ex in examples if name in ex.labels]
        if not rows:
            continue
        texts = [ex.text for ex in rows]
        if raw:
            predicted = model.predict_raw(model.prepare(texts))[name][0]
        else:
            predicted = [t.code(name) or "" for t in model.predict_many(texts)]
        reports[name] = score([ex.labels[name] for ex in rows], predicted, FIELDS[name])
    return reports


def format_report(name: str, report: FieldReport) -> str:
    """Plain-text block: the scores and the confusion matrix with labels."""
    width = max([len(x) for x in report.labels] + [6])
    lines = [f"{name}: n={report.n} accuracy={report.accuracy:.3f} macro-F1={report.macro_f1:.3f}",
             " " * (width + 2) + " ".join(x[:width].rjust(width) for x in report.labels)]
    for label, row in zip(report.labels, report.confusion, strict=False):
        lines.append(label.rjust(width) + "  " + " ".join(str(v).rjust(width) for v in row))
    return "\n".join(lines)
