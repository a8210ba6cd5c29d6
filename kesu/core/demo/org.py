"""The demo company's org tree: head office departments, two regions, six stores.

The company is fictional: 禾悦, a food, tea and dairy maker with its own retail chain that
also sells tea ware and gold gifts. Codes follow the pattern a real chain would use
(city + street) so that lists and filters read naturally.
"""

from __future__ import annotations

from dataclasses import dataclass

from kesu.core.defaults import ROOT_CODE
from kesu.org.actions import do_create_department, do_create_org_unit
from kesu.org.choices import DepartmentKind, Ownership, UnitKind
from kesu.org.models import OrgUnit, User

COMPANY = "禾悦"


@dataclass(frozen=True)
class DeptSpec:
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    parent: str
    ownership: str = Ownership.DIRECT
    city: str = ""
    district: str = ""
    weight: float = 0.0  # share of store cases


DEPARTMENTS = [
    DeptSpec("QA", "质量部", DepartmentKind.QUALITY),
    DeptSpec("TECH", "技术部", DepartmentKind.TECHNICAL),
    DeptSpec("PROD", "生产部", DepartmentKind.PRODUCTION),
    DeptSpec("LOG", "物流部", DepartmentKind.LOGISTICS),
    DeptSpec("FIN", "财务部", DepartmentKind.FINANCE),
    DeptSpec("CS", "客户服务中心", DepartmentKind.CUSTOMER_SERVICE),
    DeptSpec("MKT", "市场部", DepartmentKind.MARKETING),
]

REGIONS = [
    UnitSpec("EAST", "华东大区", UnitKind.REGION, ROOT_CODE, city="上海市"),
    UnitSpec("SOUTH", "华南大区", UnitKind.REGION, ROOT_CODE, city="广州市"),
]

STORES = [
    UnitSpec("SH-NJL", "上海南京路旗舰店", UnitKind.STORE, "EAST", city="上海市", district="黄浦区",
             weight=0.25),
    UnitSpec("SH-XJH", "上海徐家汇店", UnitKind.STORE, "EAST", city="上海市", district="徐汇区", weight=0.16),
    UnitSpec("HZ-XH", "杭州西湖加盟店", UnitKind.STORE, "EAST", Ownership.FRANCHISE, city="杭州市",
             district="西湖区", weight=0.14),
    UnitSpec("GZ-TH", "广州天河店", UnitKind.STORE, "SOUTH", city="广州市", district="天河区", weight=0.18),
    UnitSpec("SZ-NS", "深圳南山店", UnitKind.STORE, "SOUTH", city="深圳市", district="南山区", weight=0.16),
    UnitSpec("FS-ZM", "佛山祖庙加盟店", UnitKind.STORE, "SOUTH", Ownership.FRANCHISE, city="佛山市",
             district="禅城区", weight=0.11),
]

UNITS = {u.code: u for u in [*REGIONS, *STORES]}


def create_org(actor: User | None) -> dict[str, OrgUnit]:
    """Create departments, regions and stores under the existing root; return units by code."""
    root = OrgUnit.objects.get(code=ROOT_CODE)
    units = {ROOT_CODE: root}
    for dept in DEPARTMENTS:
        do_create_department(code=dept.code, name=dept.name, kind=dept.kind, org_unit=root, actor=actor)
    for spec in [*REGIONS, *STORES]:
        units[spec.code] = do_create_org_unit(
            code=spec.code, name=spec.name, kind=spec.kind, parent=units[spec.parent],
            ownership=spec.ownership, actor=actor,
        )
    return units
