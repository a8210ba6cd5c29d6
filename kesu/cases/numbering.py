"""Case numbers ``KS-YYYYMM-NNNNN`` (IN-3): a serial per month, unique under concurrency.

The counter row of the month is created once (a unique constraint settles races) and then
incremented with one ``UPDATE … RETURNING`` that takes its row lock, so concurrent intakes
serialise on that row for the length of their transaction on PostgreSQL (intake takes the
number in a short transaction of its own); SQLite serialises all writers anyway.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction

from kesu.cases.models import CaseNumberCounter

PREFIX = "KS"
NUMBER_TZ = ZoneInfo("Asia/Shanghai")


def period_of(received_at: datetime) -> str:
    """The year-month of the number, in China time so a case at 00:30 on the 1st is that month's."""
    return received_at.astimezone(NUMBER_TZ).strftime("%Y%m")


def format_number(period: str, serial: int) -> str:
    return f"{PREFIX}-{period}-{serial:05d}"


def _advance(period: str, n: int) -> int:
    """Add ``n`` to the month's counter and return the new last serial: one ``UPDATE … RETURNING``
    round trip (both PostgreSQL and SQLite ≥ 3.35), creating the month's row the first time."""
    table = CaseNumberCounter._meta.db_table
    sql = f"UPDATE {table} SET last_serial = last_serial + %s WHERE period = %s RETURNING last_serial"  # noqa: S608
    for _attempt in range(2):
        with connection.cursor() as cur:
            cur.execute(sql, [n, period])
            row = cur.fetchone()
        if row is not None:
            return int(row[0])
        try:
            with transaction.atomic():
                CaseNumberCounter.objects.create(period=period, last_serial=0)
        except IntegrityError:
            pass  # another intake created this month's counter first
    raise RuntimeError(f"case number counter {period} could not be created")  # pragma: no cover


def next_case_number(received_at: datetime) -> str:
    """Reserve the next number of ``received_at``'s month. Call inside a transaction, which then
    holds the counter's row lock until it ends (intake uses a short one of its own)."""
    period = period_of(received_at)
    return format_number(period, _advance(period, 1))


def reserve_case_numbers(period: str, n: int) -> list[str]:
    """Reserve ``n`` consecutive numbers of ``period`` ("YYYYMM") with one counter update.

    For bulk intake: the numbers are those ``n`` calls of ``next_case_number`` would have
    given, in order. Call inside the batch's transaction, which then holds the row lock.
    """
    if n <= 0:
        return []
    last = _advance(period, n)
    return [format_number(period, serial) for serial in range(last - n + 1, last + 1)]
