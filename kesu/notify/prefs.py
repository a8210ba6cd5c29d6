"""Which channels a user gets for an event (their stored choices over the event's defaults),
and which webhook endpoints subscribed to it.

Both are asked on every case change, so the preference rows and the active endpoints are
read once per process and kept until they change: the actions that change them call
``changed()``, which puts a new generation token in the shared cache now and again on commit
(``kesu.sla.generation``); every process reloads when the token differs. A transaction that
changed them reads the tables directly until it ends, so its own uncommitted (maybe rolled
back) rows never enter the kept copy.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from kesu.notify.choices import USER_CHANNELS, event_spec, subscribable_events
from kesu.notify.models import Preference, WebhookEndpoint
from kesu.org.models import User
from kesu.sla import generation

GENERATION_KEY = "kesu:notify:generation"


@dataclass(frozen=True)
class Loaded:
    token: str
    #: (user id, event) → [(channel, enabled)]
    prefs: dict[tuple[int, str], list[tuple[str, bool]]]
    endpoints: list[WebhookEndpoint]


_lock = threading.Lock()
_loaded: Loaded | None = None


def _load(token: str) -> Loaded:
    prefs: dict[tuple[int, str], list[tuple[str, bool]]] = {}
    for user_id, event, channel, enabled in Preference.objects.order_by().values_list(
        "user_id", "event", "channel", "enabled"
    ):
        prefs.setdefault((user_id, event), []).append((channel, enabled))
    return Loaded(token, prefs, list(WebhookEndpoint.objects.filter(is_active=True)))


def _dirty_here() -> bool:
    conn = transaction.get_connection()
    block = conn.atomic_blocks[0] if conn.in_atomic_block and conn.atomic_blocks else None
    return block is not None and getattr(conn, "_kesu_notify_dirty", None) is block


def loaded() -> Loaded:
    """The kept preferences and endpoints, reloaded when another process changed them."""
    global _loaded
    if _dirty_here():
        return _load("")
    token = generation.token(GENERATION_KEY)
    current = _loaded
    if current is None or current.token != token:
        with _lock:
            current = _loaded = _load(token)
    return current


def _bump() -> None:
    global _loaded
    generation.bump(GENERATION_KEY)
    _loaded = None


def changed() -> None:
    """Call from an action that changes preferences or endpoints, inside its transaction."""
    conn = transaction.get_connection()
    if conn.in_atomic_block and conn.atomic_blocks:
        conn._kesu_notify_dirty = conn.atomic_blocks[0]  # type: ignore[attr-defined]
        transaction.on_commit(_bump)
    _bump()


def reset_cache() -> None:
    """Forget the kept copy (tests, after a restore)."""
    global _loaded
    _loaded = None


def channels_for(users: Sequence[User], event: str) -> dict[int, set[str]]:
    """``{user_id: channels}`` for ``event``, with no query once the preferences are kept."""
    defaults = event_spec(event).default_channels
    wanted = {u.pk: {c for c in USER_CHANNELS if c in defaults} for u in users}
    prefs = loaded().prefs
    for user_id in wanted:
        for channel, enabled in prefs.get((user_id, event), ()):
            if channel not in USER_CHANNELS:
                continue
            if enabled:
                wanted[user_id].add(channel)
            else:
                wanted[user_id].discard(channel)
    return wanted


def subscribed_endpoints(event: str) -> list[WebhookEndpoint]:
    """Active endpoints subscribed to ``event``, in name order."""
    return [e for e in loaded().endpoints if event in (e.events or [])]


def preference_matrix(user: User) -> dict[tuple[str, str], bool]:
    """Every (event, channel) a user may choose, with what currently applies to them."""
    stored = {(e, c): on for e, c, on in user.notify_preferences.values_list("event", "channel", "enabled")}
    return {
        (spec.code, channel): stored.get((spec.code, channel), channel in spec.default_channels)
        for spec in subscribable_events()
        for channel in USER_CHANNELS
    }
