"""Priority (SPEC TR-4, 002 §1.4): the classifier's guess, raised by what the text alone cannot say.

Inputs beyond the text — the customer's level (VIP) and how often the same customer has
complained about the same issue (TR-5, counted by the caller) — and the severity and risk
words combine here, each step that raises the priority leaving a reason:

* severity serious or special → urgent; major → at least important;
* the rule floor from risk words (media, legal, regulator, safety → urgent);
* a VIP customer → one step up;
* a repeat (``repeats`` ≥ 1 earlier complaints) → one step up; three or more → urgent.

Priority only goes up. Praise is not raised by level or repeats: it is routed for
recognition (IN-2), not for speed.
"""

from __future__ import annotations

from kesu.triage.core import PRIORITY_ORDER
from kesu.triage.core.rules import Reason, level_max

VIP_LEVELS = frozenset({"vip"})


def step_up(priority: str) -> str:
    i = PRIORITY_ORDER.index(priority) if priority in PRIORITY_ORDER else 0
    return PRIORITY_ORDER[min(i + 1, len(PRIORITY_ORDER) - 1)]


def combine_priority(
    model_priority: str,
    *,
    severity: str,
    kind: str = "complaint",
    rule_floor: str | None = None,
    customer_level: str | None = None,
    repeats: int = 0,
) -> tuple[str, list[Reason]]:
    """Final priority and the reasons for every raise above ``model_priority``."""
    priority = model_priority if model_priority in PRIORITY_ORDER else "general"
    reasons: list[Reason] = []

    def raise_to(level: str, reason: Reason) -> None:
        nonlocal priority
        new = level_max(priority, level, PRIORITY_ORDER) or priority
        if new != priority:
            priority = new
            reasons.append(reason)

    if severity in ("serious", "special"):
        raise_to("urgent", Reason("priority.severity", {"severity": severity, "level": "urgent"}))
    elif severity == "major":
        raise_to("important", Reason("priority.severity", {"severity": severity, "level": "important"}))
    if rule_floor is not None:
        priority = level_max(priority, rule_floor, PRIORITY_ORDER) or priority
    if kind == "praise":
        return priority, reasons
    if customer_level is not None and customer_level.lower() in VIP_LEVELS:
        raise_to(step_up(priority), Reason("priority.vip", {"level": step_up(priority)}))
    if repeats >= 3:
        raise_to("urgent", Reason("priority.repeat", {"count": repeats, "level": "urgent"}))
    elif repeats >= 1:
        raise_to(step_up(priority), Reason("priority.repeat", {"count": repeats, "level": step_up(priority)}))
    return priority, reasons
