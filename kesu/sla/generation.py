"""Generation tokens of the process-local caches (calendars, SLA policies, notification
endpoints and preferences), read from the shared cache at most once per transaction.

Each cache keeps its data with the token it was loaded under and reloads when the shared
token differs; the actions that change the data put a new token on commit. Reading the token
costs one cache round trip (a database query in the embedded profile), and the write path
asked for it several times per action — so the tokens of all caches are read together, and
inside a transaction the answer is kept for that transaction (the outermost ``atomic`` block
of the thread's connection), for at most ``MEMO_SECONDS``. A process's own change (``bump``)
forgets the kept answer at once, so this process never reads its own changes late; other
processes see a change after their current transaction, as before within a short bound.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

#: Every token kept here; read together with one ``get_many``.
KEYS = (
    "kesu:sla:calendar-generation",
    "kesu:sla:policy-generation",
    "kesu:notify:generation",
)
MEMO_SECONDS = 2.0

_epoch_lock = threading.Lock()
_epoch = 0


@dataclass
class _Memo:
    block: object
    epoch: int
    at: float
    tokens: dict[str, str]


def _get_many(keys: list[str]) -> dict[str, Any]:
    """``cache.get_many(keys)``, its keys made once per thread's cache object.

    On Redis the client is kept per pool by the backend (``kesu.core.redis_cache``); making
    and validating the three keys again for every intake was the rest of the cost here.
    """
    if not isinstance(caches[DEFAULT_CACHE_ALIAS], RedisCache):
        return cache.get_many(keys)
    backend: Any = caches[DEFAULT_CACHE_ALIAS]  # this thread's cache object (Django keeps one per thread)
    made: dict[str, str] | None = getattr(backend, "_kesu_keys", None)
    if made is None:
        made = backend._kesu_keys = {}
    for key in keys:
        if key not in made:
            made[key] = backend.make_and_validate_key(key)
    values = backend._cache.get_client(None, write=False).mget([made[k] for k in keys])
    loads = backend._cache._serializer.loads
    return {k: loads(v) for k, v in zip(keys, values, strict=True) if v is not None}


def _read_all() -> dict[str, str]:
    found = _get_many(list(KEYS))
    for key in KEYS:
        if found.get(key) is None:
            cache.add(key, uuid.uuid4().hex, None)
            found[key] = cache.get(key) or "none"
    return {k: str(v) for k, v in found.items()}


def token(key: str) -> str:
    """The current generation token of ``key`` (one of ``KEYS``)."""
    conn = transaction.get_connection()
    block = conn.atomic_blocks[0] if conn.in_atomic_block and conn.atomic_blocks else None
    if block is None:
        return _read_all()[key]
    memo: _Memo | None = getattr(conn, "_kesu_generation_memo", None)
    now = time.monotonic()
    if memo is None or memo.block is not block or memo.epoch != _epoch or now - memo.at > MEMO_SECONDS:
        memo = _Memo(block, _epoch, now, _read_all())
        conn._kesu_generation_memo = memo  # type: ignore[attr-defined]
    return memo.tokens[key]


def bump(key: str) -> None:
    """Put a new token for ``key``: every process reloads that cache before its next answer."""
    global _epoch
    cache.set(key, uuid.uuid4().hex, None)
    with _epoch_lock:
        _epoch += 1


def forget() -> None:
    """Drop the kept answers of every thread (tests, after a restore)."""
    global _epoch
    with _epoch_lock:
        _epoch += 1
