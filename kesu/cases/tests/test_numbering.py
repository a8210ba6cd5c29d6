"""Case numbers stay unique and per-month under concurrent intake (IN-3), on both databases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from kesu.cases.actions import NewCase, do_create_case
from kesu.cases.models import Case
from kesu.cases.numbering import format_number, period_of
from kesu.customers.actions import CustomerInput


def test_period_uses_china_time():
    # 2026-09-30 16:30 UTC is 2026-10-01 00:30 in Shanghai: October's serial.
    assert period_of(datetime(2026, 9, 30, 16, 30, tzinfo=UTC)) == "202610"
    assert format_number("202611", 42) == "KS-202611-00042"


@pytest.mark.django_db(transaction=True)
def test_concurrent_intake_never_duplicates_numbers(org, make_user):
    agent = make_user("intake_agent")
    threads, errors = 8, []
    per_thread = 6
    received = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)

    def worker(t: int) -> None:
        try:
            for i in range(per_thread):
                do_create_case(NewCase(
                    kind="complaint", channel="phone", description=f"第{t}-{i}单 包装破损",
                    org_unit="HQ", received_at=received,
                    customer=CustomerInput(name="并发", phone=f"1390000{t:02d}{i:02d}"),
                ), actor=agent)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert errors == []
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert numbers == [format_number("202611", n) for n in range(1, threads * per_thread + 1)]
