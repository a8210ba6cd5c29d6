"""Which SLA targets apply to a case: the most specific matching policy per clock (WF-4).

Policies and their targets are read once per process and cached until an action changes one
(generation token in the shared cache, as for calendars; ``kesu.sla.generation``). Matching is pure Python.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from kesu.sla import generation
from kesu.sla.models import SlaPolicy, SlaTarget

GENERATION_KEY = "kesu:sla:policy-generation"


@dataclass(frozen=True)
class Target:
    policy_id: int
    clock: str
    amount: int
    unit: str
    warn_percent: int


@dataclass(frozen=True)
class PolicyRule:
    pk: int
    kind: str
    severity: str
    priority: str
    customer_level: str
    unit_path: str  # "" matches every unit
    targets: dict[str, Target]

    @property
    def rank(self) -> tuple[int, int, int]:
        """Sort key, best first: more criteria, then a deeper org unit, then the older policy."""
        criteria = sum(
            bool(v) for v in (self.kind, self.severity, self.priority, self.customer_level, self.unit_path)
        )
        return (-criteria, -self.unit_path.count("/"), self.pk)

    def matches(self, kind: str, severity: str, priority: str, level: str, unit_path: str) -> bool:
        return (
            (not self.kind or self.kind == kind)
            and (not self.severity or self.severity == severity)
            and (not self.priority or self.priority == priority)
            and (not self.customer_level or self.customer_level == level)
            and (not self.unit_path or unit_path.startswith(self.unit_path))
        )


_lock = threading.Lock()
_cached: tuple[str, list[PolicyRule]] | None = None


def bump_generation() -> None:
    generation.bump(GENERATION_KEY)


def active_rules() -> list[PolicyRule]:
    """Active policies as rules, best first; reloaded after any policy change."""
    global _cached
    token = generation.token(GENERATION_KEY)
    current = _cached
    if current is None or current[0] != token:
        with _lock:
            current = _cached = (token, load_rules())
            _targets_memo.clear()
    return current[1]


def reset_cache() -> None:
    global _cached
    _cached = None
    _targets_memo.clear()
    generation.forget()


_targets_memo: dict[tuple[int, str, str, str, str, str], dict[str, Target]] = {}


def targets_cached(
    rules: list[PolicyRule], *, kind: str, severity: str, priority: str, level: str, unit_path: str
) -> dict[str, Target]:
    """``targets_for`` memoised per rule list and criteria: a few dozen combinations cover all
    cases, and intake and every status change ask. Callers must not change the result."""
    key = (id(rules), kind, severity, priority, level, unit_path)
    found = _targets_memo.get(key)
    if found is None or _cached is None or _cached[1] is not rules:
        found = targets_for(rules, kind=kind, severity=severity, priority=priority, level=level,
                            unit_path=unit_path)
        if _cached is not None and _cached[1] is rules:
            if len(_targets_memo) > 10_000:
                _targets_memo.clear()
            _targets_memo[key] = found
    return found


def load_rules() -> list[PolicyRule]:
    targets: dict[int, dict[str, Target]] = {}
    for t in SlaTarget.objects.filter(policy__is_active=True):
        targets.setdefault(t.policy_id, {})[t.clock] = Target(
            t.policy_id, t.clock, t.amount, t.unit, t.warn_percent
        )
    rules = [
        PolicyRule(
            p.pk,
            p.kind,
            p.severity,
            p.priority,
            p.customer_level,
            p.org_unit.path if p.org_unit else "",
            targets.get(p.pk, {}),
        )
        for p in SlaPolicy.objects.filter(is_active=True).select_related("org_unit")
    ]
    return sorted(rules, key=lambda r: r.rank)


def targets_for(
    rules: Iterable[PolicyRule], *, kind: str, severity: str, priority: str, level: str, unit_path: str
) -> dict[str, Target]:
    """Per clock code, the target of the best matching policy that has one."""
    chosen: dict[str, Target] = {}
    for rule in rules:
        if rule.matches(kind, severity, priority, level, unit_path):
            for code, target in rule.targets.items():
                chosen.setdefault(code, target)
    return chosen
