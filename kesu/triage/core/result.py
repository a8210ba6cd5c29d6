"""What the model says about a text: per field a code and a confidence, plus the rules' findings.

Plain data (no numpy), shared by :mod:`kesu.triage.core.serving`, which produces it, and the
Django side, which stores and shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kesu.triage.core import FIELDS
from kesu.triage.core.rules import Reason


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
