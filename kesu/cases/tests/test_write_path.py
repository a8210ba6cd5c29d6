"""The fast write path: locked heads, the first event written with the case, query budgets.

The shortcuts in ``kesu.cases.events`` (``lock_case``, ``head_locked``, ``first_event``) must
leave exactly the chain ``append`` alone would write; the budgets pin the queries they saved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kesu.cases import actions, events
from kesu.cases.actions import Classification, do_classify_case
from kesu.cases.actions_messages import NewMessage, do_add_message
from kesu.cases.actions_workflow import Assignment, do_assign_case, do_transition_case
from kesu.cases.choices import Status
from kesu.cases.events import verify_case_chains
from kesu.cases.models import Case, CaseEvent, CaseNumberCounter, IdempotencyKey
from kesu.cases.numbering import next_case_number, reserve_case_numbers
from kesu.customers.actions import CustomerInput
from kesu.org.actions import do_create_department
from kesu.org.models import OrgUnit, User
from kesu.sla.defaults import install_sla_defaults

pytestmark = pytest.mark.django_db
#: Events intake may add after ``case.created`` (triage suggestions, related-case links).
INTAKE_EXTRAS = {"case.triaged", "case.linked", "case.crisis_flagged"}


@pytest.fixture
def team(org: dict[str, OrgUnit], make_user: Callable[..., User]) -> dict[str, User]:
    install_sla_defaults()
    do_create_department(code="QA", name="质量部", kind="quality", org_unit=org["HQ"], actor=None)
    return {"agent": make_user("intake_agent"), "handler": make_user("handler", department="QA"),
            "head": make_user("department_head", department="QA"), "quality": make_user("quality_engineer")}


def _life(case: Case, team: dict[str, User]) -> Case:
    agent, handler = team["agent"], team["handler"]
    case = do_transition_case(case, Status.ACCEPTED, actor=agent)
    case = do_assign_case(case, Assignment(owner=handler.username), actor=agent)
    case = do_transition_case(case, Status.INVESTIGATING, actor=handler)
    do_add_message(case, NewMessage(kind="call", direction="outbound", body="已联系客户",
                                    visible_to_customer=True), actor=handler)
    do_classify_case(case, Classification(severity="minor", priority="general"), actor=team["quality"])
    case = do_transition_case(case, Status.SOLUTION_PROPOSED, actor=handler)
    return case


def test_a_case_life_through_the_actions_keeps_an_intact_chain(
    team: dict[str, User], make_case: Callable[..., Case]
) -> None:
    case = _life(make_case(actor=team["agent"]), team)
    stored = Case.objects.get(pk=case.pk)
    chain = list(CaseEvent.objects.filter(case=stored).order_by("seq"))
    assert [e.type for e in chain if e.type not in INTAKE_EXTRAS] == [
        "case.created", "case.status_changed", "case.assigned", "case.status_changed",
        "case.status_changed", "case.message_added", "case.classified", "case.status_changed",
    ]
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert (stored.event_count, stored.last_event_hash) == (len(chain), chain[-1].hash)
    assert stored.status == Status.SOLUTION_PROPOSED and stored.owner == team["handler"]
    assert list(verify_case_chains()) == []


def test_a_stale_instance_from_the_caller_cannot_fork_the_chain(
    team: dict[str, User], make_case: Callable[..., Case]
) -> None:
    """The caller's copy lags behind (a message was added meanwhile): the lock reads the head."""
    case = make_case(actor=team["agent"])
    stale = Case.objects.select_related("org_unit", "intake_by", "customer").get(pk=case.pk)
    note = NewMessage(kind="note", direction="internal", body="备注", visible_to_customer=False)
    do_add_message(case, note, actor=team["agent"])
    do_transition_case(stale, Status.ACCEPTED, actor=team["agent"])
    assert Case.objects.get(pk=case.pk).event_count == stale.event_count + 2
    assert list(verify_case_chains()) == []


def test_lock_case_reuses_the_callers_relations_only_when_ids_match(
    team: dict[str, User], make_case: Callable[..., Case]
) -> None:
    case = make_case(actor=team["agent"])
    loaded = Case.objects.select_related(*events.CASE_RELATIONS).get(pk=case.pk)
    Case.objects.filter(pk=case.pk).update(intake_by=team["handler"])  # changed behind the caller's back
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        locked = events.lock_case(loaded)
        assert locked.org_unit is loaded.org_unit  # reused
        assert locked.intake_by == team["handler"]  # not the caller's stale object: loaded anew
    assert len(ctx.captured_queries) == 2


def test_intake_writes_the_first_event_with_the_case(
    team: dict[str, User], make_case: Callable[..., Case], django_assert_max_num_queries: Any
) -> None:
    make_case(actor=team["agent"])  # the month's counter and the cached calendars exist
    # Intake's own statements; the triage step the lead wires in (TR-5…7) has its own budget.
    with mock.patch.object(actions, "triage_new_case", lambda *a, **kw: None, create=True), \
            django_assert_max_num_queries(8 if connection.vendor == "postgresql" else 11):
        # Unit, number, the test's savepoint and its release, customer and its INSERT (no savepoint
        # of its own: 2 fewer), case and first event (one statement on PostgreSQL), clocks; on
        # SQLite the text index's two (was 13 with savepoints, before that 15, 22).
        case = make_case(actor=team["agent"], customer=CustomerInput(phone="13900000009"))
    stored = Case.objects.get(pk=case.pk)
    (event,) = CaseEvent.objects.filter(case=stored)
    assert (event.seq, stored.event_count, stored.last_event_hash) == (1, 1, event.hash)
    assert event.data["new"]["number"] == stored.number
    assert stored.sla_clocks.count() > 0
    assert list(verify_case_chains()) == []


def test_a_transition_stays_within_its_query_budget(
    team: dict[str, User], make_case: Callable[..., Case], django_assert_max_num_queries: Any
) -> None:
    case = make_case(actor=team["agent"])
    case = do_transition_case(case, Status.ACCEPTED, actor=team["agent"])
    case = do_assign_case(case, Assignment(owner=team["handler"].username), actor=team["agent"])
    # lock, event, case with its head, clocks, outbox rows, the test's savepoint (was 13)
    with django_assert_max_num_queries(8):
        case = do_transition_case(case, Status.INVESTIGATING, actor=team["handler"])
    assert Case.objects.get(pk=case.pk).status == Status.INVESTIGATING


def test_numbers_take_one_statement_and_continue_the_month(org: dict[str, OrgUnit]) -> None:
    when = datetime(2026, 9, 30, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert next_case_number(when) == "KS-202609-00001"  # creates the month's counter
    with CaptureQueriesContext(connection) as ctx:
        assert next_case_number(when) == "KS-202609-00002"
    assert len(ctx.captured_queries) == 1
    assert reserve_case_numbers("202609", 3) == ["KS-202609-00003", "KS-202609-00004", "KS-202609-00005"]
    assert CaseNumberCounter.objects.get(period="202609").last_serial == 5


def test_an_append_on_a_stale_intake_instance_falls_back_to_the_locked_head(
    team: dict[str, User], make_case: Callable[..., Case]
) -> None:
    """Intake's instance appends optimistically; if another instance appended meanwhile, the
    conditional UPDATE misses and the head is read under the lock: no fork, fields still saved."""
    case = make_case(actor=team["agent"])
    assert events.head_held(case)
    with transaction.atomic():
        events.append(Case.objects.get(pk=case.pk), "case.updated", actor=None, data={"n": 1})
        case.priority = "urgent"
        with CaptureQueriesContext(connection) as ctx:
            events.append(case, "case.updated", actor=None, data={"n": 2},
                          save_fields=["priority", "updated_at"])
        assert len(ctx.captured_queries) == 4  # missed UPDATE (and INSERT), locked read, INSERT, UPDATE
        with CaptureQueriesContext(connection) as ctx:
            events.append(case, "case.updated", actor=None, data={"n": 3})
        # The head is current again: UPDATE … WHERE head, INSERT (one statement on PostgreSQL).
        assert len(ctx.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    stored = Case.objects.get(pk=case.pk)
    assert stored.priority == "urgent"
    assert [e.data.get("n") for e in CaseEvent.objects.filter(case=stored).order_by("seq")][-3:] == [1, 2, 3]
    assert (stored.event_count, stored.last_event_hash) == (case.event_count, case.last_event_hash)
    assert list(verify_case_chains()) == []


API_BODY: dict[str, Any] = {
    "kind": "complaint", "channel": "api", "title": "包装破损", "description": "收到的牛奶包装破损，两盒漏液",
    "customer": {"name": "张三", "phone": "13800001111"}, "product": {"name": "纯牛奶", "batch": "B1"},
    "demands": ["exchange"], "org_unit": "HQ",
}


def _without_countdown(data: dict[str, Any]) -> dict[str, Any]:
    for clock in data["clocks"]:
        clock.pop("remaining_working_minutes")  # counts down between the two requests
    return data


def test_the_create_answer_equals_a_read_of_the_case(
    team: dict[str, User], api_client: Callable[[User], Any]
) -> None:
    """The answer is built from what intake holds (no read-back of clocks, triage, attachments)."""
    from kesu.triage.models import TriageSettings

    TriageSettings.objects.update_or_create(pk=1, defaults={"auto_apply": True, "auto_apply_threshold": 0.5})
    client = api_client(team["agent"])
    created = client.post("/api/v1/cases", API_BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["clocks"] and data["triage"] is not None and data["attachments"] == []
    read = client.get(f"/api/v1/cases/{data['number']}")
    assert _without_countdown(data) == _without_countdown(read.json())
    stored = Case.objects.get(number=data["number"])
    assert stored.event_count == CaseEvent.objects.filter(case=stored).count() >= 2  # created, triaged
    assert list(verify_case_chains()) == []


def test_a_retried_idempotency_key_takes_no_case_number(
    team: dict[str, User], api_client: Callable[[User], Any]
) -> None:
    client = api_client(team["agent"])
    first = client.post("/api/v1/cases", API_BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/cases", API_BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post("/api/v1/cases", API_BODY, HTTP_IDEMPOTENCY_KEY="k-2")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json()["number"] == first.json()["number"]
    serial = int(first.json()["number"].rsplit("-", 1)[1])
    assert other.json()["number"].endswith(f"-{serial + 1:05d}")
    assert IdempotencyKey.objects.get(key="k-1").case.number == first.json()["number"]  # type: ignore[union-attr]


def test_a_key_stored_meanwhile_rolls_the_intake_back_and_replays(
    team: dict[str, User], api_client: Callable[[User], Any]
) -> None:
    """Two requests with one key at once: the second finds the key taken only at its end."""
    client = api_client(team["agent"])
    first = client.post("/api/v1/cases", API_BODY, HTTP_IDEMPOTENCY_KEY="k-1").json()
    before = Case.objects.count()
    real = actions.next_case_number
    # Without the early check in the number's statement, as when both requests pass it together.
    with mock.patch.object(actions, "next_case_number", lambda at, unless_key=None: real(at)):
        again = client.post("/api/v1/cases", API_BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200 and again.json()["number"] == first["number"]
    assert Case.objects.count() == before
