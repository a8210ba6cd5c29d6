"""Hash chaining for append-only event tables (SE-3).

Each row stores ``hash = sha256(prev_hash || canonical(payload))``. Editing a row breaks its
own hash; deleting one breaks the link of the next. Pure functions, no ORM.

The canonical form is, and must stay, ``json.dumps(payload, sort_keys=True,
separators=(",", ":"), ensure_ascii=False, default=…)`` in UTF-8: every stored hash was computed
from it. ``orjson`` writes the same bytes several times faster for plain payloads (strings,
integers, booleans, None, dicts, lists, datetimes), which is what events carry; a bulk import
hashes one event per row. Anything else — floats (``orjson`` spells ``1e16`` and NaN
differently), enums that are not ``str``/``int``, tuple subclasses, and whatever ``orjson``
refuses (non-string keys, integers beyond 64 bits, lone surrogates, deep nesting) — takes the
``json`` path. ``kesu/core/tests/test_hashchain.py`` property-tests the byte equality.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time
from typing import Any

import orjson

GENESIS = "0" * 64


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def canonical_json(payload: dict[str, Any]) -> bytes:
    """Serialise deterministically: sorted keys, no whitespace, datetimes as ISO UTC.

    The reference form (``json``); :func:`canonical` gives the same bytes, faster.
    """
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode("utf-8")


#: Datetimes, dates and times go to ``_default`` as ``json`` sends them there; dataclasses too
#: (``json`` writes their ``str()``; ``orjson`` would write a dict).
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

_SCALAR, _CONTAINER, _UNSAFE, _UNKNOWN = 0, 1, 2, 3
#: Per type: how ``orjson`` and ``json`` compare on its values. Exact ``dict``, ``list`` and
#: ``tuple`` are walked; subclasses of ``str`` and ``int`` (``StrEnum``, ``TextChoices``,
#: ``IntEnum``) are written as their content by both. Any other type is unsafe (``_learn``).
_PLAIN_KINDS: dict[type, int] = {
    str: _SCALAR, int: _SCALAR, bool: _SCALAR, type(None): _SCALAR,
    dict: _CONTAINER, list: _CONTAINER, tuple: _CONTAINER,
}  # fmt: skip
#: With ``default``: datetimes, dates and times go to ``_default`` in both.
_KINDS: dict[type, int] = {**_PLAIN_KINDS, datetime: _SCALAR, date: _SCALAR, time: _SCALAR}
#: Containers walked at most: a cyclic payload (which ``json`` refuses) must not loop forever.
_MAX_NODES = 100_000


def _learn(kinds: dict[type, int], t: type) -> int:
    kind = kinds[t] = _SCALAR if issubclass(t, str | int) else _UNSAFE
    return kind


def orjson_agrees(value: Any, *, datetimes: bool = False) -> bool:
    """Whether ``orjson`` writes ``value`` as ``json`` does (same text up to its options).

    True when every value inside is a string, integer, boolean or None (or a ``str``/``int``
    subclass) in exact dicts, lists and tuples; with ``datetimes``, datetimes, dates and times
    too (for callers whose ``default`` handles them alike). ``orjson`` may still refuse such a
    value (a non-str key, an integer beyond 64 bits, a lone surrogate): callers catch
    ``TypeError`` and use ``json``. One pass, ~1.5 µs for the event of a new case.
    """
    kinds = _KINDS if datetimes else _PLAIN_KINDS
    get = kinds.get
    kind = get(value.__class__, _UNKNOWN)
    if kind != _CONTAINER:
        return kind == _SCALAR or (kind == _UNKNOWN and _learn(kinds, value.__class__) == _SCALAR)
    todo: list[Any] = [value]
    for node in todo:  # grows while it is walked
        for item in node.values() if node.__class__ is dict else node:
            kind = get(item.__class__, _UNKNOWN)
            if kind:
                if kind == _CONTAINER:
                    if len(todo) >= _MAX_NODES:
                        return False
                    todo.append(item)
                elif kind == _UNSAFE or _learn(kinds, item.__class__) == _UNSAFE:
                    return False
    return True


def canonical(payload: dict[str, Any]) -> bytes:
    """Serialise deterministically: sorted keys, no whitespace, datetimes as ISO UTC.

    Byte for byte :func:`canonical_json`; by ``orjson`` when it agrees (see the module's doc).
    """
    if payload.__class__ is dict and orjson_agrees(payload, datetimes=True):
        try:
            return orjson.dumps(payload, default=_default, option=_ORJSON_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError: a non-str key, a big int, a lone surrogate …
            pass
    return canonical_json(payload)


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(payload)).hexdigest()
