"""Rules on risk words: the explainable floor under the classifier's severity and priority.

A classifier trained on a few hundred sentences may call 喝了拉肚子住院了 "minor"; staff must
never see that. Each lexicon category has an :class:`Effect` — a severity floor, a priority
floor, a crisis flag — and every effect that fires leaves a :class:`Reason`: a stable string
id plus parameters, which the Django side translates (``kesu.triage.reasons``), so the core
stays free of Django and of any language.

Defaults follow the SPEC: harm done → serious and crisis (TR-4, TR-7); could harm (异物, 发霉)
→ major; slight defect → minor; personal safety, legal risk, regulators → priority urgent
(TR-4 from 002 §1.4); media → urgent and crisis (TR-7: "reported by media or with serious
harm"). Legal and regulator words raise priority but do not flag a crisis by default: in
Chinese complaints "再不处理就打12315" is an everyday phrase, and a crisis notifies top
management. An installation can change any effect by passing its own table.

Rules only raise, never lower, and they act only when the text reads as a complaint (kind
complaint or sentiment negative): an inquiry such as 宝宝喝了会不会过敏 or a praise that
mentions 抖音 is not a crisis. Risk words are reported in every case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kesu.triage.core import PRIORITY_ORDER, SEVERITY_ORDER
from kesu.triage.core.lexicon import Hit


@dataclass(frozen=True)
class Reason:
    """Why a value was raised: ``id`` is stable (translated by the UI), ``params`` fill its text."""

    id: str
    params: dict[str, str | int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "params": dict(self.params)}


@dataclass(frozen=True)
class Effect:
    severity: str | None = None
    priority: str | None = None
    crisis: bool = False


DEFAULT_EFFECTS: Mapping[str, Effect] = {
    "harm": Effect(severity="serious", priority="urgent", crisis=True),
    "hazard": Effect(severity="major", priority="important"),
    "safety": Effect(severity="major", priority="urgent"),
    "defect": Effect(severity="minor"),
    "media": Effect(priority="urgent", crisis=True),
    "legal": Effect(priority="urgent"),
    "regulator": Effect(priority="urgent"),
}


@dataclass
class RuleOutcome:
    severity_floor: str | None = None
    priority_floor: str | None = None
    crisis: bool = False
    reasons: list[Reason] = field(default_factory=list)


def level_max(a: str | None, b: str | None, order: tuple[str, ...]) -> str | None:
    """The higher of two levels in ``order`` (lowest first); unknown or missing levels lose."""
    if a is None or a not in order:
        return b if b in order else a
    if b is None or b not in order:
        return a
    return a if order.index(a) >= order.index(b) else b


def apply_rules(hits: Iterable[Hit], effects: Mapping[str, Effect] = DEFAULT_EFFECTS) -> RuleOutcome:
    """Floors, crisis flag and reasons from the risk hits (negated hits are ignored).

    One reason per (effect, category): the first word of that category names it.
    """
    out = RuleOutcome()
    seen: set[tuple[str, str]] = set()
    for hit in hits:
        effect = effects.get(hit.category)
        if hit.negated or effect is None:
            continue
        for kind, value in (("severity", effect.severity), ("priority", effect.priority)):
            if value is None or (kind, hit.category) in seen:
                continue
            seen.add((kind, hit.category))
            if kind == "severity":
                out.severity_floor = level_max(out.severity_floor, value, SEVERITY_ORDER)
            else:
                out.priority_floor = level_max(out.priority_floor, value, PRIORITY_ORDER)
            out.reasons.append(Reason(f"{kind}.{hit.category}", {"word": hit.word, "level": value}))
        if effect.crisis and ("crisis", hit.category) not in seen:
            seen.add(("crisis", hit.category))
            out.crisis = True
            out.reasons.append(Reason(f"crisis.{hit.category}", {"word": hit.word}))
    return out
