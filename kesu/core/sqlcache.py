"""Constant ORM queries compiled once per process.

Compiling a queryset to SQL costs Django ~0.3–0.5 ms of CPU per query on this hardware, ten
times the cost of running it; a query whose SQL and parameters never change (the active
category tree, a singleton settings row) can skip that on every request after the first. The
SQL is still the ORM's — only its compilation is remembered, per process and database vendor.

Only for ``values_list`` querysets of plain columns (integers, strings, floats, booleans):
rows come straight from the database driver, without the ORM's value converters (SQLite
answers booleans as 0/1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import QuerySet

_compiled: dict[tuple[str, str], tuple[str, tuple[Any, ...]]] = {}


def fixed_rows(name: str, build: Callable[[], QuerySet[Any]]) -> list[tuple[Any, ...]]:
    """The rows of ``build()``, whose SQL is compiled on the first call only; ``name`` keys it."""
    key = (connection.vendor, name)
    compiled = _compiled.get(key)
    if compiled is None:
        sql, params = build().query.sql_with_params()
        compiled = _compiled[key] = (sql, tuple(params))
    with connection.cursor() as cur:
        cur.execute(compiled[0], compiled[1])
        return list(cur.fetchall())
