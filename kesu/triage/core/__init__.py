"""kesu's Chinese triage as a plain library: no Django, no database, no network.

The Django side (``kesu.triage.service``) chooses where models live and which version is
current; everything here takes paths and data as arguments, so the benchmark and the tests
use exactly the code the application runs. Entry points:

* :func:`kesu.triage.core.train.train_model` — examples in, :class:`TriageModel` out.
* :meth:`kesu.triage.core.model.TriageModel.predict` / ``predict_many`` — text in, :class:`Triage` out.
* :mod:`kesu.triage.core.store` — save, load and list model versions under a root directory.
* :mod:`kesu.triage.core.serving` — a model as plain arrays, what every prediction runs on; a web
  process loads only this (``store.load_serving``) and never imports scikit-learn (ADR 0011).
* :mod:`kesu.triage.core.rules` and :mod:`kesu.triage.core.priority` — the explainable part.
"""

FIELDS: dict[str, tuple[str, ...]] = {
    "kind": ("complaint", "suggestion", "praise", "inquiry"),
    "category": ("product_quality", "service_attitude", "delivery", "packaging", "price", "after_sales",
                 "other"),
    "validity": ("specific", "vague"),
    "severity": ("general", "minor", "major", "serious", "special"),
    "priority": ("urgent", "important", "general"),
    "sentiment": ("negative", "neutral", "positive"),
    "emotion": ("angry", "dissatisfied", "anxious", "confused", "calm", "pleased"),
}
"""Every field the model predicts and its fixed codes (SPEC TR-1 … TR-4, TR-6; case form's emotions)."""

SEVERITY_ORDER: tuple[str, ...] = ("general", "minor", "major", "serious", "special")
PRIORITY_ORDER: tuple[str, ...] = ("general", "important", "urgent")
