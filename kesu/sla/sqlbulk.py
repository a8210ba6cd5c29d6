"""Update many rows by id in one round trip: ``UPDATE … FROM unnest(arrays)`` on PostgreSQL,
``executemany`` on SQLite (in-process, so one statement per row costs microseconds).

Django's ``bulk_update`` builds a ``CASE WHEN`` expression per row and field in Python, which
costs more than the database work for the sweep's and the recompute's batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection


def update_by_id(table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> None:
    """``rows`` are ``(id, value1, value2, …)``; ``columns`` are ``(name, postgres type)``.

    Table and column names come from code, never from input. Datetimes must be aware.
    """
    if not rows:
        return
    names = [name for name, _ in columns]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # One array parameter per column: binding stays cheap however many rows there are.
            arrays = ", ".join(["%s::bigint[]", *(f"%s::{pg_type}[]" for _, pg_type in columns)])
            sets = ", ".join(f"{n} = v.{n}" for n in names)
            cur.execute(
                f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v(id, {', '.join(names)}) "  # noqa: S608
                "WHERE t.id = v.id",
                [list(col) for col in zip(*rows, strict=True)],
            )
            return
        adapt = connection.ops.adapt_datetimefield_value
        sets = ", ".join(f"{n} = %s" for n in names)
        cur.executemany(
            f"UPDATE {table} SET {sets} WHERE id = %s",  # noqa: S608
            [[adapt(v) if hasattr(v, "utcoffset") else v for v in row[1:]] + [row[0]] for row in rows],
        )
