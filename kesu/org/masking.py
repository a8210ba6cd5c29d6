"""Masking of personal data for roles that do not need it (SE-2, SE-4)."""

from __future__ import annotations

from kesu.org.models import User
from kesu.org.roles import Cap, has_cap


def can_see_contact(user: User) -> bool:
    return bool(user.is_authenticated and has_cap(user.role, Cap.CONTACT_VIEW))


def mask_phone(phone: str) -> str:
    """138****5678: keep the first 3 and last 4 digits, as Chinese services do."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_email(email: str) -> str:
    if not email or "@" not in email:
        return "***" if email else ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_address(address: str) -> str:
    """Keep the first 6 characters (province/city), hide the street."""
    if not address:
        return ""
    return address[:6] + "****"


def contact_for(user: User, *, phone: str, email: str, address: str) -> dict[str, str]:
    """The contact fields as this user may see them."""
    if can_see_contact(user):
        return {"phone": phone, "email": email, "address": address}
    return {"phone": mask_phone(phone), "email": mask_email(email), "address": mask_address(address)}
