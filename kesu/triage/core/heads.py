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

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function without overflow in either tail (what ``scipy.special.expit`` gives;
    numpy here so that predicting never imports scipy)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(d: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum (as ``scipy.special.softmax(d, axis=1)``)."""
    e = np.exp(d - d.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def link_proba(link: str, d: np.ndarray) -> np.ndarray:
    """Probabilities of an uncalibrated part from its margins: logistic (binary) or softmax."""
    if link == "logistic":
        p1 = expit(d[:, 0])
        return np.column_stack([1.0 - p1, p1])
    return softmax(d)


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
            else:
                proba = link_proba(self.link, d)
            total += proba
        return total / len(self.parts)

    @property
    def width(self) -> int:
        return sum(p.weights.shape[1] for p in self.parts)

    def decision_function(self, X: Any) -> np.ndarray:
        """Mean raw margin over folds (binary: one column) — for threshold tuning."""
        return np.mean([self.decision(X, p) for p in self.parts], axis=0)


@dataclass(frozen=True)
class HeadSpec:
    """Where one head's columns are in a :class:`HeadStack` and how they become probabilities."""

    classes: np.ndarray
    link: str                       # "platt", "softmax" or "logistic"
    cuts: tuple[tuple[int, int], ...]  # one (start, end) per part (calibration fold), adjacent


class HeadStack:
    """Every head's weights side by side: one gather and one vector product per text.

    Seven fields × three calibration folds are 21 small products; the stack concatenates every
    part's weights once, with the intercepts and Platt constants of every column, so that one
    expression serves all parts. It is plain arrays (:meth:`from_heads` builds it from fitted
    heads; the serving file stores it), so predicting needs numpy only.
    """

    def __init__(self, weights: np.ndarray, intercept: np.ndarray, slope: np.ndarray, offset: np.ndarray,
                 specs: dict[str, HeadSpec]) -> None:
        self.weights = weights          # (n_features, width) float32, C-contiguous
        self.intercept = intercept      # (width,) float64, and so on
        self.slope, self.offset = slope, offset
        self.specs = specs

    @classmethod
    def from_heads(cls, heads: dict[str, LinearHead]) -> HeadStack:
        blocks, specs = [], {}
        start = 0
        for name, head in heads.items():
            cuts = []
            for part in head.parts:
                blocks.append(part.weights)
                cuts.append((start, start + part.weights.shape[1]))
                start += part.weights.shape[1]
            specs[name] = HeadSpec(head.classes_, head.link, tuple(cuts))
        weights = np.ascontiguousarray(np.hstack(blocks)) if blocks else np.zeros((0, 0), np.float32)
        intercept, slope, offset = np.zeros(start), np.zeros(start), np.zeros(start)
        for name, head in heads.items():
            for (a, b), part in zip(specs[name].cuts, head.parts, strict=True):
                intercept[a:b] = part.intercept
                if head.link == "platt":
                    assert part.slope is not None and part.offset is not None
                    slope[a:b], offset[a:b] = part.slope, part.offset
        return cls(weights, intercept, slope, offset, specs)

    def margins(self, indptr: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """``X @ weights`` (float64) of CSR rows, row by row: a gather of the weight rows of a
        row's non-zero columns and one float32 vector product, so that a row's margins do not
        depend on the rows beside it (scipy's sparse product would sum in another order)."""
        out = np.zeros((len(indptr) - 1, self.weights.shape[1]))
        for i, (a, b) in enumerate(itertools.pairwise(indptr)):
            if b > a:
                out[i] = vals[a:b] @ self.weights[cols[a:b]]
        return out

    def proba_from_margins(self, D: np.ndarray) -> dict[str, np.ndarray]:
        """Every head's probabilities from the stacked margins ``X @ weights`` (rows × width).

        ``LinearHead.proba_from_margins``'s arithmetic, with the sigmoid of all Platt-calibrated
        columns in one expression and each head's folds normalised and averaged together.
        """
        M = D + self.intercept
        P = expit(-(self.slope * M + self.offset))
        out = {}
        for name, spec in self.specs.items():
            k, cuts = len(spec.classes), spec.cuts
            if spec.link != "platt":
                out[name] = np.mean([link_proba(spec.link, M[:, a:b]) for a, b in cuts], axis=0)
                continue
            start, end, folds = cuts[0][0], cuts[-1][1], len(cuts)
            p = P[:, start:end].reshape(len(P), folds, -1)  # the folds of a head are adjacent
            if k == 2:
                p1 = p[:, :, 0].mean(axis=1)
                out[name] = np.column_stack([1.0 - p1, p1])
                continue
            denom = p.sum(axis=2, keepdims=True)
            proba = np.divide(p, denom, out=np.full_like(p, 1.0 / k), where=denom != 0)
            out[name] = proba.mean(axis=1)
        return out
