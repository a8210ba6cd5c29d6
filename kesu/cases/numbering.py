"""Case numbers ``KS-YYYYMM-NNNNN`` (IN-3): a serial per month, unique under concurrency.

The counter row of the month is created once (a unique constraint settles races) and then
incremented with an UPDATE that takes its row lock, so concurrent intakes serialise on that
row for the length of their transaction on PostgreSQL; SQLite serialises all writers anyway.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F

from kesu.cases.models import CaseNumberCounter

PREFIX = "KS"
NUMBER_TZ = ZoneInfo("Asia/Shanghai")


def period_of(received_at: datetime) -> str:
    """The year-month of the number, in China time so a case at 00:30 on the 1st is that month's."""
    return received_at.astimezone(NUMBER_TZ).strftime("%Y%m")


def format_number(period: str, serial: int) -> str:
    return f"{PREFIX}-{period}-{serial:05d}"


def next_case_number(received_at: datetime) -> str:
    """Reserve the next number of ``received_at``'s month. Call inside the intake transaction."""
    period = period_of(received_at)
    if not CaseNumberCounter.objects.filter(period=period).exists():
        try:
            with transaction.atomic():
                CaseNumberCounter.objects.create(period=period, last_serial=0)
        except IntegrityError:
            pass  # another intake created this month's counter first
    CaseNumberCounter.objects.filter(period=period).update(last_serial=F("last_serial") + 1)
    serial = CaseNumberCounter.objects.values_list("last_serial", flat=True).get(period=period)
    return format_number(period, serial)


def reserve_case_numbers(period: str, n: int) -> list[str]:
    """Reserve ``n`` consecutive numbers of ``period`` ("YYYYMM") with one counter update.

    For bulk intake: the numbers are those ``n`` calls of ``next_case_number`` would have
    given, in order. Call inside the batch's transaction, which then holds the row lock.
    """
    if n <= 0:
        return []
    if not CaseNumberCounter.objects.filter(period=period).exists():
        try:
            with transaction.atomic():
                CaseNumberCounter.objects.create(period=period, last_serial=0)
        except IntegrityError:
            pass  # another intake created this month's counter first
    CaseNumberCounter.objects.filter(period=period).update(last_serial=F("last_serial") + n)
    last = CaseNumberCounter.objects.values_list("last_serial", flat=True).get(period=period)
    return [format_number(period, serial) for serial in range(last - n + 1, last + 1)]
