"""The trained triage model: one linear classifier per field over shared features, then rules.

``predict`` returns a :class:`Triage`: per field the code and a calibrated confidence, the
risk words found, the reasons for every rule that raised a value, the crisis flag and the
model version — everything the intake screen shows as a suggestion (TR-6) and everything
the Django side stores. A field the model was not trained for is ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kesu.triage.core import FIELDS, SEVERITY_ORDER
from kesu.triage.core.features import Doc, Featurizer
from kesu.triage.core.heads import HeadStack
from kesu.triage.core.priority import combine_priority
from kesu.triage.core.rules import DEFAULT_EFFECTS, Effect, Reason, apply_rules, level_max


@dataclass(frozen=True)
class Prediction:
    code: str
    confidence: float

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "confidence": round(self.confidence, 4)}


@dataclass
class Triage:
    kind: Prediction | None = None
    category: Prediction | None = None
    validity: Prediction | None = None
    severity: Prediction | None = None
    priority: Prediction | None = None
    sentiment: Prediction | None = None
    emotion: Prediction | None = None
    risk_words: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    crisis: bool = False
    model_version: str = ""

    def get(self, name: str) -> Prediction | None:
        if name not in FIELDS:
            raise KeyError(name)
        value: Prediction | None = getattr(self, name)
        return value

    def code(self, name: str) -> str | None:
        value = self.get(name)
        return value.code if value else None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for name in FIELDS:
            value = self.get(name)
            out[name] = value.to_dict() if value else None
        out.update(risk_words=list(self.risk_words), reasons=[r.to_dict() for r in self.reasons],
                   crisis=self.crisis, model_version=self.model_version)
        return out


class TriageModel:
    """Featurizer + classifiers + rule effects; pickled whole by :mod:`kesu.triage.core.store`."""

    def __init__(self, featurizer: Featurizer, classifiers: Mapping[str, Any], *, version: str,
                 created_at: str, training_size: int, metrics: Mapping[str, Any] | None = None,
                 sources: Mapping[str, int] | None = None,
                 effects: Mapping[str, Effect] = DEFAULT_EFFECTS) -> None:
        self.featurizer = featurizer
        self.classifiers = dict(classifiers)
        self.version = version
        self.created_at = created_at
        self.training_size = training_size
        self.metrics: dict[str, Any] = dict(metrics or {})
        self.sources: dict[str, int] = dict(sources or {})
        self.effects = dict(effects)
        self._stack: HeadStack | None = None

    def stack(self) -> HeadStack:
        """All fields' weights in one matrix, built on first use (not pickled)."""
        stack: HeadStack | None = getattr(self, "_stack", None)
        if stack is None:
            stack = self._stack = HeadStack({name: self.classifiers[name] for name in self.fields})
        return stack

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_stack": None}

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(f for f in FIELDS if f in self.classifiers)

    def predict_raw(self, docs: Sequence[Doc]) -> dict[str, tuple[list[str], np.ndarray]]:
        """Per field: the classifier's codes and confidences, before any rule."""
        if not docs:
            return {f: ([], np.zeros(0)) for f in self.fields}
        if len(docs) == 1:  # intake: one text; scipy's fixed costs would dominate
            probas = self.stack().predict_proba_row(*self.featurizer.row(docs[0]))
        else:
            probas = self.stack().predict_proba(self.featurizer.transform(docs))
        out = {}
        for name in self.fields:
            clf = self.classifiers[name]
            proba = probas[name]
            best = proba.argmax(axis=1)
            codes = [str(c) for c in clf.classes_[best]]
            out[name] = (codes, proba[np.arange(len(docs)), best])
        return out

    def predict(self, text: str, *, customer_level: str | None = None, repeats: int = 0) -> Triage:
        return self.predict_many([text], customer_levels=[customer_level], repeats=[repeats])[0]

    def predict_many(self, texts: Sequence[str], *, customer_levels: Sequence[str | None] | None = None,
                     repeats: Sequence[int] | None = None) -> list[Triage]:
        """Triage of many texts at once (one matrix, one pass per classifier)."""
        docs = self.featurizer.prepare(texts)
        raw = self.predict_raw(docs)
        out = []
        for i, doc in enumerate(docs):
            preds = {name: Prediction(codes[i], float(conf[i])) for name, (codes, conf) in raw.items()}
            level = customer_levels[i] if customer_levels else None
            count = repeats[i] if repeats else 0
            out.append(self._finish(doc, preds, customer_level=level, repeats=count))
        return out

    def _finish(self, doc: Doc, preds: dict[str, Prediction], *, customer_level: str | None,
                repeats: int) -> Triage:
        """Apply the rules and the priority combination to one text's raw predictions."""
        triage = Triage(model_version=self.version)
        for name, prediction in preds.items():
            setattr(triage, name, prediction)
        risks = [h for h in doc.hits if not h.negated]
        triage.risk_words = list(dict.fromkeys(h.word for h in risks))
        kind, sentiment = triage.code("kind"), triage.code("sentiment")
        complaint_like = kind in (None, "complaint") or sentiment == "negative"
        outcome = apply_rules(risks if complaint_like else [], self.effects)
        triage.crisis = outcome.crisis
        triage.reasons.extend(outcome.reasons)
        severity = triage.severity.code if triage.severity else None
        raised = level_max(severity, outcome.severity_floor, SEVERITY_ORDER)
        if severity == "special":
            raised = severity
        if raised is not None and raised != severity:
            triage.severity = Prediction(raised, 1.0)
        base = triage.priority.code if triage.priority else "general"
        final, reasons = combine_priority(
            base, severity=triage.severity.code if triage.severity else "general", kind=kind or "complaint",
            rule_floor=outcome.priority_floor, customer_level=customer_level, repeats=repeats)
        triage.reasons.extend(reasons)
        if triage.priority is None or final != triage.priority.code:
            triage.priority = Prediction(final, 1.0)
        return triage
