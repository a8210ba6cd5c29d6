"""The one read path for staff accounts: administrators see the accounts in their scope.

A role without ``Cap.USER_MANAGE`` is refused with ``Forbidden`` before any account is
looked up; for an administrator, missing and out of scope give the same ``NotFound``, so
nobody can probe which user names exist.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kesu.core.errors import Forbidden, NotFound
from kesu.org.models import User
from kesu.org.roles import Cap, has_cap
from kesu.org.scope import scope_filter


def users_visible_to(actor: User) -> QuerySet[User]:
    """Accounts ``actor`` may list and manage: those placed in the actor's org subtree.

    Only roles with ``Cap.USER_MANAGE`` see any; an account without an org unit is seen only
    from the root unit.
    """
    if not actor.is_authenticated or not has_cap(actor.role, Cap.USER_MANAGE):
        return User.objects.none()
    return User.objects.filter(scope_filter(actor))


def require_user_manager(actor: User) -> None:
    if not has_cap(actor.role, Cap.USER_MANAGE):
        raise Forbidden(_("Only administrators may manage staff accounts."), code="user_manage_not_allowed")


def access_user(actor: User, username: str) -> User:
    require_user_manager(actor)
    user = users_visible_to(actor).select_related("org_unit", "department").filter(username=username).first()
    if user is None:
        raise NotFound(_("No account with this user name was found."))
    return user
