"""The trained triage model: one linear classifier per field over shared features, then rules.

``predict`` returns a :class:`Triage`: per field the code and a calibrated confidence, the
risk words found, the reasons for every rule that raised a value, the crisis flag and the
model version — everything the intake screen shows as a suggestion (TR-6) and everything
the Django side stores. A field the model was not trained for is ``None``.

A :class:`TriageModel` is what training produces and what is pickled (it keeps the fitted
vectorizers, so it can be refitted or inspected); it predicts through its serving form
(:mod:`kesu.triage.core.serving`), which is also what the web process loads on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from kesu.triage.core import FIELDS
from kesu.triage.core.heads import HeadStack
from kesu.triage.core.result import Prediction, Triage
from kesu.triage.core.rules import DEFAULT_EFFECTS, Effect
from kesu.triage.core.serving import Doc, ServingModel

if TYPE_CHECKING:  # scikit-learn: only a process that trains or loads a pickle needs it
    from kesu.triage.core.features import Featurizer

__all__ = ["Prediction", "Triage", "TriageModel"]


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
        self._serving: ServingModel | None = None

    def serving(self) -> ServingModel:
        """This model as plain arrays, built on first use (not pickled; rebuilt if the version
        was renamed before saving)."""
        serving: ServingModel | None = getattr(self, "_serving", None)
        if serving is None or serving.version != self.version:
            heads = HeadStack.from_heads({name: self.classifiers[name] for name in self.fields})
            serving = self._serving = ServingModel(
                self.featurizer.features(), heads, segmenter=self.featurizer.segmenter,
                lexicon=self.featurizer.lexicon, effects=self.effects, version=self.version,
                created_at=self.created_at, training_size=self.training_size, metrics=self.metrics,
                sources=self.sources)
        return serving

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_serving"}

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(f for f in FIELDS if f in self.classifiers)

    def prepare(self, texts: Sequence[str]) -> list[Doc]:
        return self.featurizer.prepare(texts)

    def predict_raw(self, docs: Sequence[Doc]) -> dict[str, tuple[list[str], np.ndarray]]:
        """Per field: the classifier's codes and confidences, before any rule."""
        return self.serving().predict_raw(docs)

    def predict(self, text: str, *, customer_level: str | None = None, repeats: int = 0) -> Triage:
        return self.serving().predict(text, customer_level=customer_level, repeats=repeats)

    def predict_many(self, texts: Sequence[str], *, customer_levels: Sequence[str | None] | None = None,
                     repeats: Sequence[int] | None = None) -> list[Triage]:
        """Triage of many texts at once."""
        return self.serving().predict_many(texts, customer_levels=customer_levels, repeats=repeats)
