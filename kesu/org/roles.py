"""What each role may do. One table, read by access checks in pages, API and exports.

Scope (which org units' rows) is separate: see ``kesu.org.scope``. A capability says what
kind of thing a role may do; the scope says where.
"""

from __future__ import annotations

from enum import StrEnum

from kesu.org.choices import Role


class Cap(StrEnum):
    CASE_VIEW = "case.view"
    CASE_CREATE = "case.create"
    CASE_CLASSIFY = "case.classify"
    CASE_ATTACH = "case.attach"
    CONTACT_VIEW = "contact.view"  # unmasked phone, e-mail and address
    CUSTOMER_VIEW = "customer.view"
    IMPORT = "case.import"
    AUDIT_VERIFY = "audit.verify"
    USER_MANAGE = "user.manage"  # list staff accounts, deactivate and reactivate them
    ADMIN = "admin"


_ALL = frozenset(Cap)
_READ = frozenset({Cap.CASE_VIEW, Cap.CUSTOMER_VIEW})
_WORK = _READ | {Cap.CASE_CREATE, Cap.CASE_CLASSIFY, Cap.CASE_ATTACH, Cap.CONTACT_VIEW}

ROLE_CAPS: dict[str, frozenset[Cap]] = {
    Role.INTAKE_AGENT: _WORK,
    Role.HANDLER: _WORK,
    Role.DEPARTMENT_HEAD: _WORK,
    Role.COORDINATOR: _WORK,
    Role.CS_SUPERVISOR: _WORK | {Cap.IMPORT},
    # Engineers analyse causes: they need the cases, not the customers' contact data.
    Role.QUALITY_ENGINEER: _READ | {Cap.CASE_CLASSIFY, Cap.CASE_ATTACH},
    Role.EXECUTIVE: _READ,
    Role.AUDITOR: _READ | {Cap.AUDIT_VERIFY},
    Role.ADMIN: _ALL,
}


def has_cap(role: str, cap: Cap) -> bool:
    return cap in ROLE_CAPS.get(role, frozenset())
