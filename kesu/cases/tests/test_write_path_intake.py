"""The whole API create on the write path: triage, related-case links and the priority raise of a
repeat, with no read of links a new case cannot have, no savepoint and no locked re-read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kesu.cases.actions import ProductInput
from kesu.cases.actions_links import repeat_reason
from kesu.cases.events import verify_case_chains
from kesu.cases.models import Case, CaseEvent, CaseLink
from kesu.cases.tests.test_write_path import API_BODY, _without_countdown
from kesu.cases.tests.test_write_path import team as team  # the fixture
from kesu.org.models import User

pytestmark = pytest.mark.django_db

#: Statements of an API create that repeats a case of the same customer and batch, inside the
#: test's transaction: org unit, number, the intake's savepoint and its release, customer,
#: case and first event (one statement on PostgreSQL), link settings, the customer's cases, the
#: batch's, category tree, triage settings, triage row, links (COPY on PostgreSQL, which is not
#: captured; one INSERT on SQLite, which also indexes the text: two more), two events (linked;
#: classified with the raised priority) of one statement each on PostgreSQL (the head UPDATE and
#: the INSERT together), two on SQLite, clocks, idempotency key. Was 25 / 27 with a savepoint,
#: a read of the links and a locked re-read of the priority, then 19 / 22.
API_REPEAT_STATEMENTS = {"postgresql": 16, "sqlite": 22}


def test_an_api_create_of_a_repeat_links_and_raises_without_reading_back(
    team: dict[str, User], make_case: Callable[..., Case], api_client: Callable[[User], Any]
) -> None:
    earlier = make_case(actor=team["agent"], description=API_BODY["description"],
                        received_at=timezone.now() - timedelta(days=1), product=ProductInput(batch="B1"))
    client = api_client(team["agent"])
    client.get("/api/v1/cases/" + earlier.number)  # the token is checked and kept: not counted below
    with CaptureQueriesContext(connection) as ctx:
        created = client.post("/api/v1/cases", API_BODY, HTTP_IDEMPOTENCY_KEY="k-repeat")
    assert created.status_code == 201, created.content
    sql = [q["sql"] for q in ctx.captured_queries]
    assert not [s for s in sql if "FROM \"cases_caselink\"" in s or "FOR UPDATE" in s]
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1  # the intake's own (a transaction outside tests)
    assert len(sql) == API_REPEAT_STATEMENTS[connection.vendor]

    case = Case.objects.get(number=created.json()["number"])
    links = set(CaseLink.objects.filter(case=case).values_list("other_id", "kind", "created_by_id"))
    assert links == {(earlier.pk, "repeat", None), (earlier.pk, "possible_duplicate", None),
                     (earlier.pk, "same_batch", None)}
    assert case.priority == "important" == created.json()["priority"]
    raised = CaseEvent.objects.get(case=case, type="case.classified")
    assert raised.data == {"old": {"priority": ""}, "new": {"priority": "important"},
                           "reason": repeat_reason(1), "repeats": 1}
    read = client.get(f"/api/v1/cases/{case.number}")
    assert _without_countdown(created.json()) == _without_countdown(read.json())
    assert list(verify_case_chains()) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the grams and their trigger are PostgreSQL's")
def test_intake_stores_the_search_grams_the_trigger_would(
    team: dict[str, User], make_case: Callable[..., Case]
) -> None:
    """Intake computes the grams in Python (``search.pg_grams``); a text it cannot tell (ß, Σ)
    goes in without them and the INSERT trigger fills them, as before."""
    from kesu.customers.actions import CustomerInput

    plain = make_case(actor=team["agent"], title="包装破损 Box-12", description="牛奶发霉，（测试）ＡＢ１",
                      customer=CustomerInput(name="王伟", phone="13800002222"))
    odd = make_case(actor=team["agent"], title="Straße Σ", description="µ ⓐ 𠀀 İ",
                    customer=CustomerInput(name="Zoë", phone="13800003333"))
    with connection.cursor() as cur:
        cur.execute("SELECT id, search_grams IS NOT NULL AND search_grams = kesu_search_grams(title,"
                    " description, customer_name) FROM cases_case WHERE id IN (%s, %s)", [plain.pk, odd.pk])
        assert dict(cur.fetchall()) == {plain.pk: True, odd.pk: True}


def test_a_new_customer_s_case_reads_no_earlier_cases_and_the_next_one_links(
    team: dict[str, User], api_client: Callable[[User], Any]
) -> None:
    """The customer intake creates has no earlier cases: that query is skipped; its second case,
    with the customer found again, reads them and is linked as a repeat."""
    client = api_client(team["agent"])
    body = {**API_BODY, "customer": {"name": "新客户", "phone": "13800007777"}, "product": {"name": "奶"}}
    client.get("/api/v1/cases?status=closed")  # the token is checked and kept: not counted below
    with CaptureQueriesContext(connection) as ctx:
        first = client.post("/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="k-new-1")
    assert first.status_code == 201, first.content
    assert not [q for q in ctx.captured_queries if '"cases_case"."customer_id" =' in q["sql"]]
    with CaptureQueriesContext(connection) as ctx:
        second = client.post("/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="k-new-2")
    assert second.status_code == 201, second.content
    assert [q for q in ctx.captured_queries if '"cases_case"."customer_id" =' in q["sql"]]
    case = Case.objects.get(number=second.json()["number"])
    earlier = Case.objects.get(number=first.json()["number"])
    assert set(CaseLink.objects.filter(case=case).values_list("other_id", "kind")) == {
        (earlier.pk, "repeat"), (earlier.pk, "possible_duplicate")}


def test_category_by_code_is_the_orm_s_lookup(team: dict[str, User]) -> None:
    from kesu.cases.actions import category_by_code
    from kesu.cases.models import Category

    Category.objects.filter(code="delivery").update(is_active=False)
    packaging = Category.objects.get(code="packaging")
    found = category_by_code("packaging")
    assert found is not None and found == packaging and not found._state.adding
    assert (found.code, found.parent_id, found.is_active) == (packaging.code, packaging.parent_id, True)
    assert category_by_code("delivery") is None  # inactive: intake refuses it
    stored = category_by_code("delivery", active=False)
    assert stored is not None and stored.code == "delivery"  # triage applies what its tree allowed
    assert category_by_code("no-such-code", active=False) is None
