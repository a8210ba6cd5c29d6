"""The demo's routing rules (WF-2): which department a case goes to, by kind, category and product.

The rules are data, saved through ``do_save_routing_rule`` like an administrator would; the
same list answers ``department_for`` without a database, so the plan knows in advance which
department a case will reach and can pick the people who work on it there. A test pins that
the rules in the database route every demo case to the department the plan expected.
"""

from __future__ import annotations

from dataclasses import dataclass

from kesu.cases.actions_policies import RuleInput, do_save_routing_rule
from kesu.cases.choices import AssignmentMethod, Kind
from kesu.org.models import User

RR, LEAST = AssignmentMethod.ROUND_ROBIN, AssignmentMethod.LEAST_OPEN


@dataclass(frozen=True)
class RuleSpec:
    name: str
    department: str
    position: int
    kind: str = ""
    category: str = ""
    product_contains: str = ""
    method: str = LEAST


RULES = [
    RuleSpec("足金饰品送检鉴定", "TECH", 10, category="product_quality", product_contains="足金", method=RR),
    RuleSpec("K金饰品送检鉴定", "TECH", 11, category="product_quality", product_contains="18K", method=RR),
    RuleSpec("杯具质量问题", "TECH", 12, category="product_quality", product_contains="杯", method=RR),
    RuleSpec("茶具质量问题", "TECH", 13, category="product_quality", product_contains="茶具", method=RR),
    RuleSpec("礼品卡问题", "FIN", 20, product_contains="礼品卡"),
    RuleSpec("产品质量投诉", "QA", 30, kind=Kind.COMPLAINT, category="product_quality", method=RR),
    RuleSpec("包装问题", "PROD", 40, category="packaging"),
    RuleSpec("物流配送问题", "LOG", 50, category="delivery"),
    RuleSpec("产品改进建议", "QA", 60, kind=Kind.SUGGESTION, category="product_quality", method=RR),
    RuleSpec("其余反馈由客户服务中心跟进", "CS", 1000, method=RR),
]

#: Who leads the work in each department (moves the case along when its owner's role cannot)
#: and who drafts solutions there.
LEAD = {"QA": "zhouqiang", "PROD": "xumin", "LOG": "wujun", "TECH": "luoming", "FIN": "caili", "CS": "sunhui"}
WORKER = {"QA": "zhengtao", "PROD": "hanxue", "LOG": "songjie", "TECH": "tianhao", "FIN": "caili",
          "CS": "sunhui"}


def department_for(kind: str, category: str, product_name: str) -> str:
    """The department the first matching rule names (the rules' order is their position)."""
    product = product_name.lower()
    for rule in RULES:
        if rule.kind and rule.kind != kind:
            continue
        if rule.category and rule.category != category:
            continue
        if rule.product_contains and rule.product_contains.lower() not in product:
            continue
        return rule.department
    return "CS"


def create_routing_rules(admin: User) -> int:
    """Save the demo's rules through the policy action, as an administrator would."""
    for rule in RULES:
        do_save_routing_rule(RuleInput(
            name=rule.name, department=rule.department, position=rule.position, kind=rule.kind,
            category=rule.category, product_contains=rule.product_contains, method=rule.method,
        ), actor=admin)
    return len(RULES)
