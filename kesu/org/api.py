"""``/api/v1/users``: staff accounts for administrators — list, deactivate, reactivate.

parse → access (``kesu.org.access``) → one action → schema. Other roles get 403, an account
outside the administrator's scope 404.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from kesu.cases.schemas import ErrorOut
from kesu.org.access import access_user, require_user_manager, users_visible_to
from kesu.org.actions import AccountChange, do_deactivate_user, do_reactivate_user
from kesu.org.models import User
from kesu.org.queries import UserFilter, open_cases_owned, user_list

router = Router(tags=["users"])
ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
PAGE_SIZE = 50


class UserOut(Schema):
    username: str
    display_name: str
    role: str
    org_unit: str | None
    department: str | None
    is_active: bool
    open_cases_owned: int


class UserListOut(Schema):
    items: list[UserOut]
    count: int


class UserListParams(Schema):
    state: Literal["active", "inactive", "all"] = "active"
    role: str = ""
    org_unit: str = ""
    q: str = ""
    page: int = 1


class ReasonIn(Schema):
    """Optional: a POST without a body is the same as an empty reason."""

    reason: str = ""


class AccountChangeOut(Schema):
    user: UserOut
    tokens_revoked: int
    sessions_ended: int
    open_cases_owned: int
    open_cases_coordinated: int


def _user(u: User, open_owned: int) -> dict[str, Any]:
    return {"username": u.username, "display_name": u.display_name, "role": u.role,
            "org_unit": u.org_unit.code if u.org_unit else None,
            "department": u.department.code if u.department else None,
            "is_active": u.is_active, "open_cases_owned": open_owned}


def _change(c: AccountChange) -> dict[str, Any]:
    return {"user": _user(c.user, c.open_cases_owned), "tokens_revoked": c.tokens_revoked,
            "sessions_ended": c.sessions_ended, "open_cases_owned": c.open_cases_owned,
            "open_cases_coordinated": c.open_cases_coordinated}


@router.get("", response={200: UserListOut, **ERRORS}, summary="Staff accounts in my scope (administrators)")
def list_users(request: HttpRequest, params: Query[UserListParams]) -> dict[str, Any]:
    actor: User = request.user  # type: ignore[assignment]
    require_user_manager(actor)
    f = UserFilter(state=params.state, role=params.role, org_unit=params.org_unit, q=params.q)
    qs = user_list(users_visible_to(actor), f)
    page = max(params.page, 1)
    items = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    counts = open_cases_owned(u.pk for u in items)
    return {"items": [_user(u, counts.get(u.pk, 0)) for u in items], "count": qs.count()}


@router.post("/{username}/deactivate", response={200: AccountChangeOut, **ERRORS},
             summary="Deactivate an account: no sign-in, API tokens revoked, sessions ended")
def deactivate_user(request: HttpRequest, username: str, body: ReasonIn | None = None) -> dict[str, Any]:
    actor: User = request.user  # type: ignore[assignment]
    reason = body.reason if body else ""
    return _change(do_deactivate_user(access_user(actor, username), actor=actor, reason=reason))


@router.post("/{username}/activate", response={200: AccountChangeOut, **ERRORS},
             summary="Reactivate a deactivated account (its old tokens stay revoked)")
def activate_user(request: HttpRequest, username: str, body: ReasonIn | None = None) -> dict[str, Any]:
    actor: User = request.user  # type: ignore[assignment]
    reason = body.reason if body else ""
    return _change(do_reactivate_user(access_user(actor, username), actor=actor, reason=reason))
