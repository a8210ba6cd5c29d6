"""Fitted classifiers reduced to their arithmetic: weights, intercepts, calibration constants.

scikit-learn's ``predict_proba`` validates its input on every call; for one text and seven
fields with three calibration folds each that is ~20 validations and ~15 ms, over the
10 ms budget, while the arithmetic itself takes microseconds. A :class:`LinearHead` keeps
exactly what the fitted estimator computes — ``X @ W + b``, Platt's sigmoid per class and
the normalisation of ``CalibratedClassifierCV``, averaged over its folds; or the softmax /
logistic of ``LogisticRegression`` — in plain numpy. The tests check it against the
estimator it was built from. Side benefit: the pickled model is small and does not depend
on scikit-learn's private calibration classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, softmax


@dataclass
class Part:
    weights: np.ndarray            # (n_features, k), C-contiguous: scipy copies any other layout per call
    intercept: np.ndarray          # (k,)
    slope: np.ndarray | None       # Platt a per column, None: no calibration
    offset: np.ndarray | None      # Platt b per column


class LinearHead:
    """``predict_proba`` of a linear classifier (optionally Platt-calibrated, fold-averaged)."""

    def __init__(self, classes: np.ndarray, parts: list[Part], link: str) -> None:
        self.classes_ = classes
        self.parts = parts
        self.link = link               # "platt", "softmax" or "logistic"

    @classmethod
    def from_estimator(cls, est: Any) -> LinearHead:
        classes = np.asarray(est.classes_)
        if hasattr(est, "calibrated_classifiers_"):
            parts = []
            for cc in est.calibrated_classifiers_:
                inner = cc.estimator
                if list(inner.classes_) != list(classes) or cc.method != "sigmoid":
                    raise ValueError("every calibration fold must see every class (sigmoid method)")
                parts.append(Part(np.ascontiguousarray(inner.coef_.T, dtype=np.float32),
                                  np.asarray(inner.intercept_, dtype=np.float64),
                                  np.array([c.a_ for c in cc.calibrators], dtype=np.float64),
                                  np.array([c.b_ for c in cc.calibrators], dtype=np.float64)))
            return cls(classes, parts, "platt")
        part = Part(np.ascontiguousarray(est.coef_.T, dtype=np.float32),
                    np.asarray(est.intercept_, dtype=np.float64), None, None)
        return cls(classes, [part], "logistic" if len(classes) == 2 else "softmax")

    def decision(self, X: Any, part: Part) -> np.ndarray:
        return np.asarray(X @ part.weights, dtype=np.float64) + part.intercept

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.proba_from_margins([self.decision(X, part) for part in self.parts])

    def proba_from_margins(self, margins: list[np.ndarray]) -> np.ndarray:
        """Probabilities from each part's ``X @ weights + intercept`` (computed here or by a stack)."""
        k = len(self.classes_)
        total = np.zeros((margins[0].shape[0], k))
        for part, d in zip(self.parts, margins, strict=True):
            if self.link == "platt":
                assert part.slope is not None and part.offset is not None
                p = expit(-(part.slope * d + part.offset))
                if k == 2:
                    proba = np.column_stack([1.0 - p[:, 0], p[:, 0]])
                else:
                    denom = p.sum(axis=1, keepdims=True)
                    proba = np.divide(p, denom, out=np.full_like(p, 1.0 / k), where=denom != 0)
            elif self.link == "logistic":
                p1 = expit(d[:, 0])
                proba = np.column_stack([1.0 - p1, p1])
            else:
                proba = softmax(d, axis=1)
            total += proba
        return total / len(self.parts)

    @property
    def width(self) -> int:
        return sum(p.weights.shape[1] for p in self.parts)

    def decision_function(self, X: Any) -> np.ndarray:
        """Mean raw margin over folds (binary: one column) — for threshold tuning."""
        return np.mean([self.decision(X, p) for p in self.parts], axis=0)


class HeadStack:
    """Several heads evaluated with one sparse × dense product instead of one per part.

    Seven fields × three calibration folds are 21 small products; scipy's fixed cost per
    product dominates for one text. The stack concatenates every part's weights once.
    """

    def __init__(self, heads: dict[str, LinearHead]) -> None:
        self.heads = heads
        blocks, self.slices = [], {}
        start = 0
        for name, head in heads.items():
            cuts = []
            for part in head.parts:
                blocks.append(part.weights)
                cuts.append((start, start + part.weights.shape[1]))
                start += part.weights.shape[1]
            self.slices[name] = cuts
        self.weights = np.ascontiguousarray(np.hstack(blocks)) if blocks else np.zeros((0, 0), np.float32)
        # Intercepts and Platt constants of every column, so that one expression serves all parts.
        width = self.weights.shape[1]
        self.intercept = np.zeros(width)
        self.slope, self.offset = np.zeros(width), np.zeros(width)
        for name, head in heads.items():
            for (a, b), part in zip(self.slices[name], head.parts, strict=True):
                self.intercept[a:b] = part.intercept
                if head.link == "platt":
                    assert part.slope is not None and part.offset is not None
                    self.slope[a:b], self.offset[a:b] = part.slope, part.offset

    def predict_proba(self, X: Any) -> dict[str, np.ndarray]:
        return self.proba_from_margins(np.asarray(X @ self.weights, dtype=np.float64))

    def predict_proba_row(self, cols: np.ndarray, vals: np.ndarray) -> dict[str, np.ndarray]:
        """``predict_proba`` of one row given as its non-zero (columns, values): a gather of those
        weight rows and one vector product, instead of a sparse matrix and a sparse product."""
        margins = vals @ self.weights[cols] if len(cols) else np.zeros(self.weights.shape[1], np.float32)
        return self.proba_from_margins(np.asarray(margins, dtype=np.float64)[None, :])

    def proba_from_margins(self, D: np.ndarray) -> dict[str, np.ndarray]:
        """Every head's probabilities from the stacked margins ``X @ weights`` (rows × width).

        ``LinearHead.proba_from_margins``'s arithmetic, with the sigmoid of all Platt-calibrated
        columns in one expression and each head's folds normalised and averaged together.
        """
        M = D + self.intercept
        P = expit(-(self.slope * M + self.offset))
        out = {}
        for name, head in self.heads.items():
            cuts = self.slices[name]
            if head.link != "platt":
                out[name] = head.proba_from_margins([M[:, a:b] for a, b in cuts])
                continue
            start, end, folds = cuts[0][0], cuts[-1][1], len(cuts)
            p = P[:, start:end].reshape(len(P), folds, -1)  # the folds of a head are adjacent
            if len(head.classes_) == 2:
                p1 = p[:, :, 0].mean(axis=1)
                out[name] = np.column_stack([1.0 - p1, p1])
                continue
            denom = p.sum(axis=2, keepdims=True)
            k = p.shape[2]
            proba = np.divide(p, denom, out=np.full_like(p, 1.0 / k), where=denom != 0)
            out[name] = proba.mean(axis=1)
        return out
