"""The sweep marks warnings and breaches once, escalates, records events (actions_sweep.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from kesu.cases.actions import Classification
from kesu.cases.events import verify_case_chains
from kesu.cases.models import Case, CaseEvent
from kesu.notify.models import Outbox
from kesu.org.models import OrgUnit, User
from kesu.sla.actions import sync_case_clocks
from kesu.sla.actions_sweep import do_send_sla_notifications, do_sweep_clocks
from kesu.sla.defaults import install_sla_defaults
from kesu.sla.models import CaseClock, Escalation

SH = ZoneInfo("Asia/Shanghai")


def at(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=SH)


@pytest.fixture
def cases(org: dict[str, OrgUnit], make_case: Callable[..., Case]) -> list[Case]:
    install_sla_defaults()
    out = []
    for unit in ("S-E1", "S-E1", "S-S1"):
        case = make_case(
            unit=unit, received_at=at("2026-09-30T16:00"), classification=Classification(severity="major")
        )
        sync_case_clocks(case, at=case.received_at, trigger="created")
        out.append(case)
    return out


def event_types(case: Case) -> list[str]:
    return list(
        CaseEvent.objects.filter(case=case, type__startswith="sla.")
        .order_by("seq")
        .values_list("type", flat=True)
    )


def test_warnings_are_marked_once(cases: list[Case]) -> None:
    # Thu 10:00: relay (due 11:00) and first response (due 16:00; warn at 13:36?) — relay warned.
    result = do_sweep_clocks(now=at("2026-10-08T10:30"))
    assert (result.warned, result.breached, result.escalated) == (3, 0, 0)  # relay warns at 10:12
    assert set(CaseClock.objects.filter(warned_at__isnull=False).values_list("code", flat=True)) == {"relay"}
    assert event_types(cases[0]) == ["sla.warning"]
    again = do_sweep_clocks(now=at("2026-10-08T10:31"))
    assert (again.warned, again.breached) == (0, 0)
    assert event_types(cases[0]) == ["sla.warning"]


def test_breaches_escalate_one_level_once_per_case_and_keep_the_chains(
    cases: list[Case], make_user: Callable[..., User]
) -> None:
    store_head = make_user("department_head", "S-E1")
    south_sup = make_user("cs_supervisor", "SOUTH")
    # Thu 17:00: relay (11:00) and first response (16:00) are late; handling warns (Fri 11:48) not yet.
    result = do_sweep_clocks(now=at("2026-10-08T17:00"), batch=2)  # small batches on purpose
    assert (result.breached, result.escalated) == (6, 3)
    assert result.warned == 0  # late clocks are not warned separately
    late = CaseClock.objects.filter(breached_at__isnull=False)
    assert sorted(late.values_list("code", flat=True)) == ["first_response"] * 3 + ["relay"] * 3
    assert set(late.values_list("state", flat=True)) == {"breached"}
    assert all(c.warned_at is not None for c in late)
    esc = {e.case_id: e for e in Escalation.objects.all()}
    assert esc[cases[0].pk].level == 1 and list(esc[cases[0].pk].targets.all()) == [store_head]
    assert esc[cases[2].pk].level == 2 and list(esc[cases[2].pk].targets.all()) == [
        south_sup
    ]  # no store head
    assert set(late.filter(case=cases[0]).values_list("escalation_level", flat=True)) == {1}
    ev = CaseEvent.objects.filter(case=cases[0]).exclude(type="case.created").order_by("seq")
    assert sorted(e.type for e in ev) == ["case.escalated", "sla.breached", "sla.breached"]
    escalated = ev.get(type="case.escalated").data["new"]
    assert (escalated["level"], escalated["targets"], escalated["clocks"]) == (
        1,
        [store_head.username],
        ["relay"],
    )
    assert list(verify_case_chains()) == []
    # Notifications: one per mark, written once.
    assert Outbox.objects.count() == 0
    assert do_send_sla_notifications(batch=4) == 6 + 3  # 6 breached clocks, 3 escalations
    assert Outbox.objects.filter(event="case.escalated", recipient=store_head).exists()
    assert Outbox.objects.filter(event="case.escalated", recipient=south_sup).exists()
    assert do_send_sla_notifications() == 0
    # A rerun changes nothing.
    again = do_sweep_clocks(now=at("2026-10-08T17:05"))
    assert (again.breached, again.escalated, again.warned) == (0, 0, 0)
    assert Escalation.objects.count() == 3
    # The next clock running out escalates the next level that has somebody: the executive.
    executive = make_user("executive", "HQ")
    next_run = do_sweep_clocks(now=at("2026-10-09T16:30"))
    assert next_run.breached == 3 and next_run.escalated == 3
    top = Escalation.objects.filter(case=cases[0]).order_by("-level").first()
    assert top.level == 5 and list(top.targets.all()) == [executive]


def test_paused_and_stopped_clocks_are_not_swept(cases: list[Case]) -> None:
    case = cases[0]
    Case.objects.filter(pk=case.pk).update(status="awaiting_info")
    case.status = "awaiting_info"
    sync_case_clocks(case, at=at("2026-09-30T16:30"), trigger="status")
    Case.objects.filter(pk=cases[1].pk).update(status="closed")
    cases[1].status = "closed"
    sync_case_clocks(cases[1], at=at("2026-09-30T16:30"), trigger="status")
    result = do_sweep_clocks(now=at("2026-10-20T10:00"))
    assert CaseClock.objects.filter(case__in=cases[:2], breached_at__isnull=False).count() == 0
    assert result.breached == 4  # only the third case's four clocks


def test_cli_sweep_prints_counts(cases: list[Case], capsys: Any, settings: Any) -> None:
    call_command("sla", "sweep", "--now", "2026-10-08T10:30+08:00")
    out = capsys.readouterr().out
    assert "3" in out and "0" in out
    assert CaseClock.objects.filter(warned_at__isnull=False).count() == 3


@pytest.mark.parametrize("data", [
    {"new": {"clock": "handling", "due_at": "2026-10-09T08:00:00+00:00"}},
    {"note": 'a "data": b ,"seq": 1 \\ 引号"', "seq": 3, "data": {"seq": [1, None, 2.5]}},
    {},
])
def test_one_encoding_gives_the_chain_hash_and_the_stored_json(data: dict[str, Any]) -> None:
    """The sweep hashes each event and takes its data's JSON from that one encoding."""
    import json

    from kesu.core.hashchain import chain_hash
    from kesu.sla.bulk_events import _hash_and_data_json

    payload = {"case": "KS-202610-00001", "seq": 7, "type": "sla.breached", "actor_id": None,
               "actor_name": 'x"data":y', "at": "2026-10-20T02:00:00+00:00", "data": data}
    digest, data_json = _hash_and_data_json("0" * 64, payload)
    assert digest == chain_hash("0" * 64, payload)
    assert json.loads(data_json) == data


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_a_case_locked_by_another_transaction_is_left_to_the_next_sweep(cases: list[Case]) -> None:
    """An action holding a case (and about to update its clocks) is not waited for: that deadlocked."""
    held, release = threading.Event(), threading.Event()

    def hold_the_first_case() -> None:
        try:
            with transaction.atomic():
                Case.objects.select_for_update().get(pk=cases[0].pk)
                held.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_first_case)
    holder.start()
    assert held.wait(10)
    try:
        first = do_sweep_clocks(now=at("2026-10-20T10:00"))
    finally:
        release.set()
        holder.join()
    breached = CaseClock.objects.filter(breached_at__isnull=False)
    assert first.breached > 0
    assert not breached.filter(case=cases[0]).exists()
    assert breached.filter(case=cases[1]).exists() and breached.filter(case=cases[2]).exists()
    second = do_sweep_clocks(now=at("2026-10-20T10:01"))
    assert second.breached == CaseClock.objects.filter(case=cases[0], breached_at__isnull=False).count() > 0
    assert "sla.breached" in event_types(cases[0])
    assert list(verify_case_chains()) == []
