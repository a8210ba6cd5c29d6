"""NB-SVM: a linear SVM on features scaled by their naive-Bayes log-count ratio (Wang & Manning 2012).

For each class (one-vs-rest) every feature is scaled by ``r = log((p/|p|) / (q/|q|))``, where
``p`` and ``q`` count the documents with the feature inside and outside the class (plus a
smoothing ``alpha``). Words that separate the classes get larger inputs, so the SVM needs
less data to trust them; on short sentiment-bearing reviews it is consistently a little
better than a plain SVM (here: +0.2 points of accuracy on the e-commerce benchmark).

Because ``(X · r) @ w == X @ (r · w)``, the scaling folds into the weights: ``coef_`` holds
``r · w`` and prediction is an ordinary linear function of the unscaled features, so
:class:`~kesu.triage.core.heads.LinearHead` and calibration work unchanged and prediction
costs nothing extra.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.svm import LinearSVC


def log_count_ratio(X: Any, inside: np.ndarray, alpha: float) -> np.ndarray:
    present = (X > 0).astype(np.float32)
    p = np.asarray(present[inside].sum(axis=0)).ravel() + alpha
    q = np.asarray(present[~inside].sum(axis=0)).ravel() + alpha
    return np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)


class NBSVC(ClassifierMixin, BaseEstimator):
    """One-vs-rest linear SVMs on NB-scaled features; ``coef_`` is in the unscaled feature space."""

    def __init__(self, C: float = 0.3, alpha: float = 1.0, class_weight: str | None = None,
                 random_state: int = 0) -> None:
        self.C = C
        self.alpha = alpha
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> NBSVC:
        X = sp.csr_matrix(X)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        targets = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        coefs, intercepts = [], []
        for cls in targets:
            inside = y == cls
            r = log_count_ratio(X, inside, self.alpha)
            svm = LinearSVC(C=self.C, class_weight=self.class_weight, random_state=self.random_state)
            svm.fit(X.multiply(r).tocsr(), inside.astype(int))
            coefs.append(svm.coef_[0] * r)
            intercepts.append(svm.intercept_[0])
        self.coef_ = np.vstack(coefs)
        self.intercept_ = np.asarray(intercepts)
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X: Any) -> np.ndarray:
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.asarray(self.classes_[(scores > 0).astype(int)])
        return np.asarray(self.classes_[scores.argmax(axis=1)])
