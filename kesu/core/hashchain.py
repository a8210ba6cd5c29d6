"""Hash chaining for append-only event tables (SE-3).

Each row stores ``hash = sha256(prev_hash || canonical(payload))``. Editing a row breaks its
own hash; deleting one breaks the link of the next. Pure functions, no ORM.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical(payload: dict[str, Any]) -> bytes:
    """Serialise deterministically: sorted keys, no whitespace, datetimes as ISO UTC."""

    def default(value: object) -> str:
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)

    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default
    ).encode("utf-8")


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(payload)).hexdigest()
