"""Case numbers ``KS-YYYYMM-NNNNN`` (IN-3): a serial per month, unique under concurrency.

The counter row of the month is created once (a unique constraint settles races) and then
incremented with one ``UPDATE … RETURNING`` that takes its row lock, so concurrent intakes
serialise on that row for the length of their transaction on PostgreSQL (intake takes the
number in autocommit, a transaction of one statement); SQLite serialises all writers anyway.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction

from kesu.cases.models import CaseNumberCounter, IdempotencyKey

PREFIX = "KS"
NUMBER_TZ = ZoneInfo("Asia/Shanghai")


def period_of(received_at: datetime) -> str:
    """The year-month of the number, in China time so a case at 00:30 on the 1st is that month's."""
    return received_at.astimezone(NUMBER_TZ).strftime("%Y%m")


def format_number(period: str, serial: int) -> str:
    return f"{PREFIX}-{period}-{serial:05d}"


def _advance(period: str, n: int, unless_key: tuple[str, str] | None = None) -> int | None:
    """Add ``n`` to the month's counter and return the new last serial: one ``UPDATE … RETURNING``
    round trip (both PostgreSQL and SQLite ≥ 3.35), creating the month's row the first time.

    ``unless_key`` (scope, key): an idempotency key; if it is already stored, nothing is
    reserved and None is returned — intake's check for a retried request rides along in the
    same statement instead of costing a query of its own.
    """
    table = CaseNumberCounter._meta.db_table
    sql = f"UPDATE {table} SET last_serial = last_serial + %s WHERE period = %s"  # noqa: S608
    params: list[str | int] = [n, period]
    if unless_key is not None:
        keys, q = IdempotencyKey._meta.db_table, connection.ops.quote_name
        sql += f" AND NOT EXISTS (SELECT 1 FROM {keys} WHERE {q('scope')} = %s AND {q('key')} = %s)"  # noqa: S608
        params += list(unless_key)
    sql += " RETURNING last_serial"
    for _attempt in range(2):
        with connection.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
        if row is not None:
            return int(row[0])
        if unless_key is not None and IdempotencyKey.objects.filter(
                scope=unless_key[0], key=unless_key[1]).exists():
            return None
        try:
            with transaction.atomic():
                CaseNumberCounter.objects.create(period=period, last_serial=0)
        except IntegrityError:
            pass  # another intake created this month's counter first
    raise RuntimeError(f"case number counter {period} could not be created")  # pragma: no cover


def next_case_number(received_at: datetime, *, unless_key: tuple[str, str] | None = None) -> str | None:
    """Reserve the next number of ``received_at``'s month.

    Outside a transaction the statement commits by itself (intake: the counter row is locked
    for that one statement, so concurrent intakes do not queue on it); inside one, the row lock
    lasts until that transaction ends. ``unless_key``: see ``_advance`` (None: key already used).
    """
    period = period_of(received_at)
    serial = _advance(period, 1, unless_key)
    return None if serial is None else format_number(period, serial)


def reserve_case_numbers(period: str, n: int) -> list[str]:
    """Reserve ``n`` consecutive numbers of ``period`` ("YYYYMM") with one counter update.

    For bulk intake: the numbers are those ``n`` calls of ``next_case_number`` would have
    given, in order. Bulk import calls it before the batch's transaction (autocommit), so the
    row lock lasts one statement; inside a transaction it lasts until that transaction ends.
    """
    if n <= 0:
        return []
    last = _advance(period, n)
    assert last is not None
    return [format_number(period, serial) for serial in range(last - n + 1, last + 1)]
