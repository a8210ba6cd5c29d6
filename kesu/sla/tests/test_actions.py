"""Clocks on cases: start, stop, pause, retarget, promise, escalation (kesu/sla/actions.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from kesu.cases.actions import Classification
from kesu.cases.models import Case, CaseEvent
from kesu.core.errors import ValidationFailed
from kesu.org.models import Department, OrgUnit, User
from kesu.sla.actions import do_escalate_case, do_track_promise, sync_case_clocks
from kesu.sla.defaults import install_sla_defaults
from kesu.sla.models import CaseClock, Escalation
from kesu.sla.queries import clock_views

SH = ZoneInfo("Asia/Shanghai")


def at(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=SH)


@pytest.fixture
def sla(org: dict[str, OrgUnit]) -> dict[str, OrgUnit]:
    install_sla_defaults()
    return org


@pytest.fixture
def new_case(sla: Any, make_case: Callable[..., Case]) -> Callable[..., Case]:
    def make(
        received: str = "2026-09-30T16:00",
        severity: str = "",
        priority: str = "",
        unit: str = "HQ",
        **kw: Any,
    ) -> Case:
        case = make_case(
            unit=unit,
            received_at=at(received),
            classification=Classification(severity=severity, priority=priority),
            **kw,
        )
        sync_case_clocks(case, at=case.received_at, trigger="created")
        return case

    return make


def set_status(case: Case, status: str, when: str, trigger: str = "status") -> None:
    """Stand-in for the workflow action: change the status, then sync as it does."""
    Case.objects.filter(pk=case.pk).update(status=status)
    case.status = status
    sync_case_clocks(case, at=at(when), trigger=trigger)


def clocks(case: Case) -> dict[str, CaseClock]:
    return {c.code: c for c in CaseClock.objects.filter(case=case)}


def test_major_complaint_is_handled_within_two_working_days_over_national_day(new_case: Any) -> None:
    case = new_case(severity="major")
    c = clocks(case)
    assert set(c) == {"relay", "first_response", "handling", "reply"}
    assert c["handling"].due_at == at("2026-10-09T16:00")
    assert c["first_response"].due_at == at("2026-10-08T16:00")
    assert c["relay"].due_at == at("2026-10-08T11:00")  # 4 working hours: 16–18, then 09–11
    assert c["reply"].due_at == at("2026-10-10T16:00")  # the make-up Saturday
    assert c["handling"].warn_at == at("2026-10-09T11:48")  # 80 % of 16 h = 12 h 48 min: 2 + 8 + 2 h 48
    assert all(x.state == "running" and x.started_at == case.received_at for x in c.values())


def test_sync_is_idempotent(new_case: Any) -> None:
    case = new_case(severity="major")
    before = list(CaseClock.objects.filter(case=case).values())
    sync_case_clocks(case, at=at("2026-10-08T10:00"), trigger="created")
    sync_case_clocks(case, at=at("2026-10-08T10:00"), trigger="classified")
    assert list(CaseClock.objects.filter(case=case).values()) == before


def test_statuses_stop_clocks_met_or_breached(new_case: Any) -> None:
    case = new_case(severity="major")
    set_status(case, "accepted", "2026-09-30T17:00")
    set_status(case, "assigned", "2026-10-08T12:00")  # relay was due 11:00
    c = clocks(case)
    assert (c["first_response"].state, c["first_response"].stopped_at) == ("met", at("2026-09-30T17:00"))
    assert (c["relay"].state, c["relay"].breached_at) == ("breached", at("2026-10-08T11:00"))
    assert c["handling"].stopped_at is None
    set_status(case, "solution_proposed", "2026-10-09T09:00")
    set_status(case, "solution_approved", "2026-10-09T10:00")
    set_status(case, "replied", "2026-10-09T11:00")
    c = clocks(case)
    assert c["handling"].state == "met" and c["reply"].state == "met"
    assert c["callback"].started_at == at("2026-10-09T11:00")
    assert c["callback"].due_at == at("2026-10-15T11:00")  # 5 working days, Saturday 10-10 counts
    set_status(case, "closed", "2026-10-12T09:00")
    assert {x.state for x in clocks(case).values()} == {"met", "breached"}
    assert all(x.stopped_at for x in clocks(case).values())


def test_awaiting_information_pauses_and_moves_the_deadline_by_the_paused_working_time(new_case: Any) -> None:
    case = new_case(severity="major")
    set_status(case, "awaiting_info", "2026-10-08T10:00")
    c = clocks(case)
    assert c["handling"].state == "paused" and c["handling"].paused_at == at("2026-10-08T10:00")
    set_status(case, "awaiting_info", "2026-10-08T11:00")  # a second sync changes nothing
    assert clocks(case)["handling"].paused_at == at("2026-10-08T10:00")
    set_status(case, "accepted", "2026-10-08T14:00")  # paused 10:00–14:00 = 3 working hours
    c = clocks(case)
    assert c["handling"].state == "running" and c["handling"].paused_at is None
    assert c["handling"].paused_us == 3 * 3600 * 10**6
    assert c["handling"].due_at == at("2026-10-10T10:00")  # Fri 16:00 + 3 h: 16–18, then Sat (调休) 09–10
    assert c["first_response"].state == "met"


def test_reclassification_retargets_running_clocks_from_their_original_start(new_case: Any) -> None:
    case = new_case()
    assert clocks(case)["first_response"].due_at == at("2026-10-08T16:00")
    Case.objects.filter(pk=case.pk).update(severity="serious", kind="complaint")
    case.severity = "serious"
    sync_case_clocks(case, at=at("2026-10-08T09:30"), trigger="classified")
    c = clocks(case)
    assert c["first_response"].due_at == at("2026-09-30T18:00")  # 2 working hours from Wed 16:00
    assert c["relay"].due_at == at("2026-09-30T16:15")
    assert c["handling"].started_at == case.received_at


def test_reply_sent_stops_first_response_and_the_promise(new_case: Any, make_user: Any) -> None:
    case = new_case()
    promise = do_track_promise(case, at("2026-10-08T15:00"), actor=make_user(), at=at("2026-09-30T16:30"))
    assert promise.state == "running" and promise.due_at == at("2026-10-08T15:00")
    assert promise.warn_at == at("2026-10-08T13:42")  # 80 % of 6.5 h = 5 h 12: 16:30–18, 09–12, 13–13:42
    sync_case_clocks(case, at=at("2026-10-08T09:10"), trigger="reply_sent")
    c = clocks(case)
    assert c["first_response"].state == "met" and c["promise"].state == "met"
    assert c["handling"].stopped_at is None


def test_a_promise_in_the_past_is_refused(new_case: Any, make_user: Any) -> None:
    case = new_case()
    with pytest.raises(ValidationFailed) as err:
        do_track_promise(case, at("2026-09-30T15:00"), actor=make_user(), at=at("2026-09-30T16:30"))
    assert err.value.code == "promise_in_past"
    assert not CaseClock.objects.filter(case=case, code="promise").exists()


def test_reopen_restarts_handling_and_reply_and_callback_follows_the_reply(new_case: Any) -> None:
    case = new_case()
    set_status(case, "replied", "2026-10-08T10:00")
    set_status(case, "closed", "2026-10-09T10:00")
    set_status(case, "reopened", "2026-10-12T10:00")
    c = clocks(case)
    assert c["handling"].started_at == at("2026-10-12T10:00") and c["handling"].state == "running"
    assert c["reply"].due_at == at("2026-10-15T10:00")
    assert c["callback"].state == "met"
    set_status(case, "reopened", "2026-10-12T11:00")
    assert clocks(case)["handling"].started_at == at("2026-10-12T10:00")
    set_status(case, "replied", "2026-10-13T10:00")
    assert clocks(case)["callback"].started_at == at("2026-10-13T10:00")


def test_clock_views_show_working_time_left(new_case: Any) -> None:
    case = new_case(severity="major")
    with translation.override("en"):
        views = {v.code: v for v in clock_views(case, now=at("2026-10-08T15:00"))}
    assert views["handling"].remaining_minutes == 3 * 60 + 360  # Thu 15–18, Fri 09–16
    assert views["handling"].remaining_text == "1 working day(s) 1 h left"
    assert views["relay"].breached and views["relay"].remaining_text == "3 h 0 min overdue"  # 11–12, 13–15
    assert views["first_response"].warning and not views["first_response"].breached
    assert [v.code for v in clock_views(case, now=at("2026-10-08T15:00"))] == [
        "relay",
        "first_response",
        "handling",
        "reply",
    ]


def test_escalation_walks_up_the_chain_skipping_levels_without_people(
    new_case: Any, make_user: Callable[..., User], sla: dict[str, OrgUnit]
) -> None:
    store_head = make_user("department_head", "S-E1")
    region_sup = make_user("cs_supervisor", "EAST")
    cs = Department.objects.create(code="CS", name="客服中心", kind="customer_service", org_unit=sla["HQ"])
    cs_head = make_user("department_head", "HQ")
    cs_head.department = cs
    cs_head.save(update_fields=["department"])
    exec_ = make_user("executive", "HQ")
    case = new_case(unit="S-E1")
    first = do_escalate_case(case, reason="客户情绪激动", actor=None, at=at("2026-10-08T10:00"))
    assert (first.level, first.previous_level, first.targets) == (1, 0, [store_head])
    assert [do_escalate_case(case, reason="r", actor=None).targets for _ in range(3)] == [
        [region_sup],
        [cs_head],
        [exec_],
    ]  # level 4 (marketing) has nobody: skipped
    top = do_escalate_case(case, reason="again", actor=None)
    assert not top.raised and top.level == 5
    assert list(Escalation.objects.filter(case=case).values_list("level", flat=True)) == [1, 2, 3, 5]
    ev = CaseEvent.objects.filter(case=case, type="case.escalated").order_by("seq")
    assert [e.data["new"]["level"] for e in ev] == [1, 2, 3, 5]
    assert ev[0].data["new"]["targets"] == [store_head.username]
