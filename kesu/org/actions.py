"""Writes to the org model: units, users, tokens. Each is audited."""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.core import audit
from kesu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kesu.org.choices import Ownership, Role, UnitKind
from kesu.org.models import ApiToken, Department, OrgUnit, User
from kesu.org.queries import open_case_counts
from kesu.org.roles import Cap, has_cap
from kesu.org.scope import unit_path


def do_create_org_unit(
    *, code: str, name: str, kind: str, parent: OrgUnit | None,
    ownership: str = Ownership.DIRECT, timezone_name: str = "Asia/Shanghai", actor: User | None,
) -> OrgUnit:
    if kind not in UnitKind.values:
        raise ValidationFailed(_("Unknown org unit kind."), fields={"kind": [_("Unknown value.")]})
    if parent is None and OrgUnit.objects.filter(parent__isnull=True).exists():
        raise ValidationFailed(_("There is already a root org unit; choose a parent."))
    with transaction.atomic():
        try:
            unit = OrgUnit.objects.create(
                code=code, name=name, kind=kind, parent=parent, ownership=ownership,
                timezone=timezone_name, path=unit_path(parent, code),
            )
        except IntegrityError as exc:
            raise Conflict(_("An org unit with this code already exists.")) from exc
        audit.record("org_unit.created", actor=actor, object_type="org_unit", object_id=code,
                     data={"name": name, "kind": kind, "parent": parent.code if parent else None})
    return unit


def do_create_department(
    *, code: str, name: str, kind: str, org_unit: OrgUnit, actor: User | None
) -> Department:
    with transaction.atomic():
        try:
            dept = Department.objects.create(code=code, name=name, kind=kind, org_unit=org_unit)
        except IntegrityError as exc:
            raise Conflict(_("A department with this code already exists.")) from exc
        audit.record("department.created", actor=actor, object_type="department", object_id=code,
                     data={"name": name, "kind": kind})
    return dept


@dataclass(frozen=True)
class NewUser:
    username: str
    role: str
    org_unit_code: str
    password: str | None = None
    display_name: str = ""
    email: str = ""
    phone: str = ""
    department_code: str | None = None


def do_create_user(data: NewUser, *, actor: User | None) -> User:
    if data.role not in Role.values:
        raise ValidationFailed(
            _("Unknown role {role}. Choose one of: {roles}.").format(
                role=data.role, roles=", ".join(Role.values)
            ),
            fields={"role": [_("Unknown value.")]},
        )
    unit = OrgUnit.objects.filter(code=data.org_unit_code).first()
    if unit is None:
        raise NotFound(
            _("No org unit has the code {code}.").format(code=data.org_unit_code),
            fields={"org_unit": [_("Unknown value.")]},
        )
    dept = None
    if data.department_code:
        dept = Department.objects.filter(code=data.department_code).first()
        if dept is None:
            raise NotFound(_("No department has the code {code}.").format(code=data.department_code))
    with transaction.atomic():
        if User.objects.filter(username=data.username).exists():
            raise Conflict(_("The user name {name} is taken.").format(name=data.username))
        user = User(
            username=data.username, role=data.role, org_unit=unit, department=dept,
            display_name=data.display_name, email=data.email, phone=data.phone,
            is_staff=data.role == Role.ADMIN, is_superuser=data.role == Role.ADMIN,
        )
        if data.password:
            user.set_password(data.password)
        else:
            user.set_unusable_password()
        try:
            user.save()
        except IntegrityError as exc:
            raise Conflict(_("The user name {name} is taken.").format(name=data.username)) from exc
        audit.record("user.created", actor=actor, object_type="user", object_id=user.username,
                     data={"role": data.role, "org_unit": unit.code})
    return user


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def do_create_token(user: User, *, name: str = "", actor: User | None) -> str:
    """Create a token and return its secret; only the digest is kept."""
    secret = "ks_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.create(user=user, name=name, prefix=secret[:10], digest=token_digest(secret))
        audit.record("token.created", actor=actor, object_type="user", object_id=user.username,
                     data={"prefix": secret[:10], "name": name})
    return secret


def do_revoke_tokens(user: User, *, prefix: str = "", actor: User | None) -> list[str]:
    """Revoke the user's live tokens (only the one starting with ``prefix``, if given).

    Returns the prefixes revoked; an unknown prefix is an error, not a silent no-op. This
    process forgets its checked tokens at once, every other one within
    :data:`TOKEN_CACHE_SECONDS`.
    """
    with transaction.atomic():
        live = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
        if prefix:
            live = live.filter(prefix__startswith=prefix[:10])
        tokens = list(live.order_by("pk"))
        if prefix and not tokens:
            raise NotFound(_("This user has no live token starting with {prefix}.").format(prefix=prefix))
        now = timezone.now()
        ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=now)
        revoked = [t.prefix for t in tokens]
        if revoked:
            audit.record("token.revoked", actor=actor, object_type="user", object_id=user.username,
                         data={"prefixes": revoked})
        # Now (forgetting is harmless if this rolls back) and after the commit, in case another
        # thread of this process re-checked a token before the revocation was visible.
        forget_tokens()
        transaction.on_commit(forget_tokens)
    return revoked


@dataclass(frozen=True)
class AccountChange:
    """What a deactivation or reactivation did, for the administrator to read."""

    user: User
    tokens_revoked: int
    sessions_ended: int
    #: Open cases the user still owns or coordinates. They are not reassigned: see
    #: :func:`do_deactivate_user`.
    open_cases_owned: int
    open_cases_coordinated: int


def _require_user_manager(actor: User | None) -> None:
    """``actor`` None is the command line: whoever runs it administers the server."""
    if actor is not None and not has_cap(actor.role, Cap.USER_MANAGE):
        raise Forbidden(_("Only administrators may deactivate or reactivate staff accounts."),
                        code="user_manage_not_allowed")


def do_deactivate_user(user: User, *, actor: User | None, reason: str = "") -> AccountChange:
    """Shut a staff account out of kesu at once: no sign-in, no API, no new work.

    Refused for the actor's own account and for the last active administrator. In one
    transaction: ``is_active`` off, every live API token revoked (this process refuses them
    at once, every other within :data:`TOKEN_CACHE_SECONDS`), the user's console sessions
    deleted, an audit row with the reason.

    Open cases the user owns or coordinates are deliberately left as they are and counted
    in the result: each needs a decision by someone who knows it, made with a reason on the
    case (``do_assign_case``), not a silent bulk move. Until then they stay in their
    responsible department's list for its head, scope never depends on the owner, and
    routing, the assignment form and notifications skip inactive users.
    """
    _require_user_manager(actor)
    if actor is not None and actor.pk == user.pk:
        raise Forbidden(_("You cannot deactivate your own account."), code="own_account")
    with transaction.atomic():
        # Active administrators first, always in the same order, then the account: two
        # administrators deactivating each other queue here instead of deadlocking.
        admins = list(User.objects.select_for_update().filter(role=Role.ADMIN, is_active=True)
                      .order_by("pk").values_list("pk", flat=True))
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            raise Conflict(_("The account {name} is already deactivated.").format(name=locked.username),
                           code="already_inactive")
        if locked.role == Role.ADMIN and admins == [locked.pk]:
            raise Conflict(_("{name} is the last active administrator; kesu needs at least one. "
                             "Please make another administrator first.").format(name=locked.username),
                           code="last_admin")
        User.objects.filter(pk=locked.pk).update(is_active=False)
        locked.is_active = False
        revoked = do_revoke_tokens(locked, actor=actor)
        sessions = _end_sessions(locked)
        owned, coordinated = open_case_counts(locked)
        audit.record("user.deactivated", actor=actor, object_type="user", object_id=locked.username, data={
            "reason": reason.strip(), "tokens_revoked": revoked, "sessions_ended": sessions,
            "open_cases_owned": owned, "open_cases_coordinated": coordinated,
        })
    user.is_active = False
    return AccountChange(user, len(revoked), sessions, owned, coordinated)


def do_reactivate_user(user: User, *, actor: User | None, reason: str = "") -> AccountChange:
    """Let a deactivated account sign in again with its old password.

    Its API tokens stay revoked (create new ones) and its sessions are gone; cases it still
    owns are counted as on deactivation.
    """
    _require_user_manager(actor)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_active:
            raise Conflict(_("The account {name} is already active.").format(name=locked.username),
                           code="already_active")
        User.objects.filter(pk=locked.pk).update(is_active=True)
        owned, coordinated = open_case_counts(locked)
        audit.record("user.reactivated", actor=actor, object_type="user", object_id=locked.username,
                     data={"reason": reason.strip()})
    user.is_active = True
    return AccountChange(user, 0, 0, owned, coordinated)


def _end_sessions(user: User) -> int:
    """Delete the user's unexpired sessions; returns how many.

    Django's session table has no user column, so the live sessions are decoded: fine for a
    rare administrative act. A session engine without a table (cache or signed cookies) cannot
    be searched; the authentication backend refuses an inactive user on every request anyway.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return 0
    model = store.get_model_class()
    uid = str(user.pk)
    live = model.objects.filter(expire_date__gt=timezone.now())
    keys = [s.session_key for s in live.iterator(chunk_size=2000)
            if str(s.get_decoded().get(SESSION_KEY, "")) == uid]
    model.objects.filter(session_key__in=keys).delete()
    if keys and hasattr(store, "cache_key_prefix"):  # cached_db: the cached copies too, once committed
        transaction.on_commit(lambda: [store(session_key=k).delete() for k in keys])
    return len(keys)


#: How long a process trusts a token it checked: a revoked token or a deactivated user is
#: refused by every process at most this long after the change (by this one at once after
#: ``forget_tokens``). Saves the token query, ~10 % of an API request's CPU.
TOKEN_CACHE_SECONDS = 10.0
_TOKEN_CACHE_MAX = 10_000


@dataclass
class _CheckedToken:
    checked_at: float  # time.monotonic()
    user: User
    token_id: int
    last_used_at: datetime | None


_tokens: dict[str, _CheckedToken] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    """Make this process check every token against the database again."""
    with _tokens_lock:
        _tokens.clear()


def user_for_token(secret: str) -> User | None:
    """The active user a valid, unrevoked bearer token belongs to (a copy the caller may change)."""
    digest = token_digest(secret)
    hit = _tokens.get(digest)
    if hit is None or time.monotonic() - hit.checked_at > TOKEN_CACHE_SECONDS:
        token = (
            ApiToken.objects.select_related("user", "user__org_unit")
            .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if token is None:
            with _tokens_lock:
                _tokens.pop(digest, None)
            return None
        hit = _CheckedToken(time.monotonic(), token.user, token.pk, token.last_used_at)
        with _tokens_lock:
            if len(_tokens) >= _TOKEN_CACHE_MAX:
                _tokens.clear()
            _tokens[digest] = hit
    now = timezone.now()
    if hit.last_used_at is None or (now - hit.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=hit.token_id).update(last_used_at=now)
        hit.last_used_at = now
    return copy.copy(hit.user)
