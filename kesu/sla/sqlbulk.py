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


def in_ids(column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
    """``column IN ids`` as SQL and parameters: one array parameter on PostgreSQL.

    The ORM's ``__in`` writes one placeholder per value, and the driver splits and binds a
    statement of five thousand placeholders at a cost that showed in the sweep's profile.
    """
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def mark_breached(levels: dict[int, int | None], now: Any) -> int:
    """Mark the clocks ``levels`` names breached at ``now`` in one statement, each with its new
    escalation level (None keeps the level it has). Conditional on ``breached_at IS NULL``, so
    a clock marked meanwhile keeps its first mark. Returns the rows changed."""
    if not levels:
        return 0
    ids = list(levels)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "UPDATE sla_caseclock AS t SET breached_at = %s, state = 'breached', "
                "warned_at = COALESCE(t.warned_at, %s), notify_pending = true, "
                "escalation_level = COALESCE(v.level, t.escalation_level) "
                "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, level) "
                "WHERE t.id = v.id AND t.breached_at IS NULL",
                [now, now, ids, [levels[i] for i in ids]],
            )
            return int(cur.rowcount)
        at = connection.ops.adapt_datetimefield_value(now)
        cur.executemany(
            "UPDATE sla_caseclock SET breached_at = %s, state = 'breached', "
            "warned_at = COALESCE(warned_at, %s), notify_pending = 1, "
            "escalation_level = COALESCE(%s, escalation_level) WHERE id = %s AND breached_at IS NULL",
            [[at, at, levels[i], i] for i in ids],
        )
        return int(cur.rowcount)
