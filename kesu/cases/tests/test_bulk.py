"""do_import_batch: the same effects as do_create_case per row, in a few queries per batch."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kesu.cases.actions import Classification, NewCase, ProductInput, do_create_case
from kesu.cases.bulk import ImportRow, Lookups, do_import_batch
from kesu.cases.events import verify_case_chains
from kesu.cases.models import Case, CaseEvent, CaseNumberCounter, LinkSettings
from kesu.cases.numbering import reserve_case_numbers
from kesu.core.errors import Forbidden
from kesu.core.hashchain import GENESIS
from kesu.customers.actions import CustomerInput
from kesu.customers.models import Customer

SH = ZoneInfo("Asia/Shanghai")
API_BODY: dict[str, Any] = {
    "kind": "complaint",
    "channel": "api",
    "title": "包装破损",
    "description": "收到的产品发霉了，包装也破了",
    "customer": {"name": "张三", "phone": "138-0000-1111", "email": "zs@example.cn", "level": "vip",
                 "type": "distributor"},
    "product": {"name": "绿茶", "model": "250g", "batch": "B2026", "serial": "SN1",
                "delivered_on": "2026-09-20", "quantity": 10, "defective_quantity": 2},
    "demands": ["refund", "apology", "refund"],
    "emotion": "angry",
    "order_ref": "JD-1",
    "org_unit": "S-E1",
    "received_at": "2026-09-30T16:00:00+08:00",
    "category": "packaging",
    "validity": "specific",
    "severity": "major",
    "priority": "urgent",
}


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def new_case(**kw: Any) -> NewCase:
    fields: dict[str, Any] = {"kind": "complaint", "channel": "import", "description": "茶叶发霉了",
                              "org_unit": "HQ"}
    fields.update(kw)
    return NewCase(**fields)


def rows(*cases: NewCase) -> list[ImportRow]:
    return [ImportRow(line=i + 2, data=c) for i, c in enumerate(cases)]


def same_as_api(body: dict[str, Any]) -> NewCase:
    c, p = body["customer"], body["product"]
    return NewCase(
        kind=body["kind"], channel=body["channel"], title=body["title"], description=body["description"],
        org_unit=body["org_unit"], customer=CustomerInput(**c),
        product=ProductInput(**{**p, "delivered_on": datetime.fromisoformat(p["delivered_on"]).date()}),
        demands=body["demands"], emotion=body["emotion"], order_ref=body["order_ref"],
        received_at=datetime.fromisoformat(body["received_at"]),
        classification=Classification(category=body["category"], validity=body["validity"],
                                      severity=body["severity"], priority=body["priority"]),
    )


CASE_SKIP = {"id", "number", "created_at", "updated_at", "tracking_token", "last_event_hash"}


def case_fields(case: Case) -> dict[str, Any]:
    return {f.attname: getattr(case, f.attname)
            for f in Case._meta.concrete_fields if f.attname not in CASE_SKIP}


@pytest.mark.django_db
def test_imported_case_is_indistinguishable_from_api_case(make_user, api_client):
    agent = make_user("cs_supervisor")
    r = api_client(agent).post("/api/v1/cases", API_BODY)
    assert r.status_code == 201, r.content
    api_case = Case.objects.get(number=r.json()["number"])

    result = do_import_batch(rows(same_as_api(API_BODY)), actor=agent)

    assert result.errors == []
    imported = Case.objects.get(pk=result.cases[0].pk)
    assert (api_case.number, imported.number) == ("KS-202609-00001", "KS-202609-00002")
    assert case_fields(imported) == case_fields(api_case)
    assert imported.customer_id == api_case.customer_id  # found again by phone
    assert Customer.objects.count() == 1
    assert imported.tracking_token and imported.tracking_token != api_case.tracking_token
    assert imported.event_count == api_case.event_count == 1
    api_event, event = CaseEvent.objects.get(case=api_case), CaseEvent.objects.get(case=imported)
    assert (event.seq, event.type, event.actor_id, event.actor_name, event.prev_hash) == (
        api_event.seq, api_event.type, api_event.actor_id, api_event.actor_name, GENESIS)
    assert event.data == {"new": {**api_event.data["new"], "number": imported.number}}
    assert imported.last_event_hash == event.hash
    assert list(verify_case_chains()) == []


@pytest.mark.django_db
def test_audit_verify_reports_nothing_after_a_bulk_import(org, capsys):
    do_import_batch(rows(*[new_case(description=f"问题 {i}", customer=CustomerInput(phone=f"1390000{i:04d}"))
                           for i in range(50)]), actor=None)
    call_command("audit", "verify")  # raises CommandError when a chain is broken
    assert len(capsys.readouterr().out.strip().splitlines()) == 1  # the "all intact" line only
    assert list(verify_case_chains()) == []


def _snapshot() -> dict[str, Any]:
    """Everything intake wrote, with customer ids replaced by their stored details."""
    customers = {
        c.pk: (c.name, c.phone, c.phone_key, c.email, c.email_key, c.address, c.organisation, c.level,
               c.type, c.org_unit_id)
        for c in Customer.objects.all()
    }
    cases = []
    for case in Case.objects.order_by("number"):
        fields = case_fields(case)
        fields["customer_id"] = customers.get(case.customer_id)
        event = case.events.get()
        data = {**event.data["new"], "customer_id": customers.get(event.data["new"]["customer_id"])}
        cases.append((case.number, fields, event.seq, event.type, event.actor_id, event.prev_hash, data))
    counters = dict(CaseNumberCounter.objects.values_list("period", "last_serial"))
    return {"customers": sorted(customers.values()), "cases": cases, "counters": counters}


class Rollback(Exception):
    pass


def _run(create: Any) -> dict[str, Any]:
    try:
        with transaction.atomic():
            create()
            snap = _snapshot()
            raise Rollback
    except Rollback:
        return snap


TRICKY = [
    # (phone, email, name, received_at, kind); stored before: 甲 (phone 13800001111), B (e-mail only)
    ("13900000002", "c@example.cn", "新客户C", "2026-09-03 10:00", "complaint"),  # new C
    ("+86 138 0000 1111", "A@Example.cn", "", "2026-10-01 00:30", "complaint"),  # 甲 by phone; fills e-mail
    ("13900000004", "a@example.cn", "", "2026-09-04 10:00", "inquiry"),  # unknown phone: new, same e-mail
    ("", "a@example.cn", "", "2026-09-04 11:00", "inquiry"),  # e-mail only: the lowest pk, 甲
    ("13900000005", "b@example.cn", "乙", "2026-09-05 10:00", "suggestion"),  # unknown phone: new 乙
    ("139-0000-0005", "", "", "2026-10-02 10:00", "praise"),  # 乙 by phone
    ("无", "b@example.cn", "", "2026-10-02 11:00", "praise"),  # no digits: B by e-mail; fills the phone
    ("", "c@example.cn", "", "2026-09-06 10:00", "complaint"),  # C by e-mail
    ("", "", "王五", "2026-09-07 10:00", "complaint"),  # a new customer with a name only
    ("", "", "", "2026-09-08 10:00", "complaint"),  # anonymous
    ("13900000002", "", "改名", "2026-09-09 10:00", "complaint"),  # C, name kept
    ("13900000006", "e@example.cn", "", "2026-09-10 10:00", "complaint"),  # new E without a name
    ("13900000006", "", "赵六", "2026-09-11 10:00", "complaint"),  # E, fills the name
    ("", "E@example.cn", "", "2026-10-03 10:00", "complaint"),  # E by e-mail
]


@pytest.mark.django_db
def test_batch_writes_exactly_what_do_create_case_writes_row_by_row(org, make_case, make_user):
    agent = make_user("cs_supervisor", unit="EAST")
    # Intake links related cases; an import does not (ADR 0009): compare with linking off.
    LinkSettings.objects.create(pk=1, max_candidates=0, max_batch_links=0)
    make_case(customer=CustomerInput(name="甲", phone="13800001111"))  # 甲: phone, no e-mail
    make_case(customer=CustomerInput(email="b@example.cn"), received_at=at("2026-09-01 09:00"))  # B
    inputs = [
        new_case(customer=CustomerInput(name=name, phone=phone, email=email, address="地址" if i % 2 else ""),
                 received_at=at(when), kind=kind, org_unit=["EAST", "S-E1", "S-E2"][i % 3],
                 product=ProductInput(name="茶" if i % 2 else "", batch="B1"),
                 demands=["refund"] if i % 3 else [])
        for i, (phone, email, name, when, kind) in enumerate(TRICKY)
    ]

    one_by_one = _run(lambda: [do_create_case(data, actor=agent) for data in inputs])
    batched = _run(lambda: do_import_batch(rows(*inputs), actor=agent))

    assert batched == one_by_one
    assert len(batched["cases"]) == 16
    assert len(batched["customers"]) == 7
    stored_b = ("", "无", "", "b@example.cn", "b@example.cn", "", "", "normal", "consumer", org["HQ"].pk)
    assert stored_b in batched["customers"]


@pytest.mark.django_db
def test_numbers_continue_month_serials_and_never_collide_with_api_cases(make_case, org):
    make_case(received_at=at("2026-09-30 16:00"))
    make_case(received_at=at("2026-10-01 00:30"))
    result = do_import_batch(rows(new_case(received_at=at("2026-09-02 10:00")),
                                  new_case(received_at=at("2026-10-05 10:00")),
                                  new_case(received_at=at("2026-09-03 10:00"))), actor=None)
    after = make_case(received_at=at("2026-09-04 10:00"))
    assert [c.number for c in result.cases] == ["KS-202609-00002", "KS-202610-00002", "KS-202609-00003"]
    assert after.number == "KS-202609-00004"
    assert Case.objects.values("number").distinct().count() == Case.objects.count() == 6


@pytest.mark.django_db
def test_reserve_case_numbers_takes_a_block():
    assert reserve_case_numbers("202611", 3) == ["KS-202611-00001", "KS-202611-00002", "KS-202611-00003"]
    assert reserve_case_numbers("202611", 0) == []
    assert reserve_case_numbers("202611", 1) == ["KS-202611-00004"]


@pytest.mark.django_db
def test_same_phone_twice_in_a_batch_is_one_customer(org):
    result = do_import_batch(rows(new_case(customer=CustomerInput(name="张三", phone="138-0000-1111")),
                                  new_case(customer=CustomerInput(phone="13800001111", email="z@x.cn"))),
                             actor=None)
    assert Customer.objects.count() == 1
    customer = Customer.objects.get()
    assert (customer.name, customer.phone, customer.email) == ("张三", "138-0000-1111", "z@x.cn")
    assert {c.customer_id for c in result.cases} == {customer.pk}


@pytest.mark.django_db
def test_bad_rows_are_reported_like_do_create_case_and_the_good_ones_written(make_user):
    agent = make_user("cs_supervisor", unit="EAST")
    east = {"org_unit": "EAST"}
    bad = [
        new_case(kind="bogus", **east),
        new_case(description="   ", **east),
        new_case(org_unit="S-S1"),  # outside EAST
        new_case(org_unit="NOPE"),
        new_case(product=ProductInput(quantity=1, defective_quantity=2), **east),
        new_case(received_at=at("2099-01-01 00:00"), **east),
        new_case(classification=Classification(category="nope", severity="huge"), **east),
    ]
    result = do_import_batch(rows(new_case(org_unit="EAST"), *bad, new_case(org_unit="S-E1")), actor=agent)
    assert [c.org_unit.code for c in result.cases] == ["EAST", "S-E1"]
    assert [e.line for e in result.errors] == [3, 4, 5, 6, 7, 8, 9]
    assert [sorted(e.fields) for e in result.errors] == [
        ["kind"], ["description"], ["org_unit"], ["org_unit"], ["product.defective_quantity"],
        ["received_at"], ["category", "severity"],
    ]
    assert result.errors[2].fields == {"org_unit": ["Outside your scope."]}
    for data, error in zip(bad, result.errors, strict=True):
        if data.org_unit == "S-S1":
            continue
        with pytest.raises(Exception) as exc:
            do_create_case(data, actor=agent)
        assert exc.value.fields == error.fields  # type: ignore[attr-defined]
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_parse_errors_come_first_and_keep_the_row_out(org):
    row = ImportRow(line=7, data=new_case(kind="complaint"), errors={"kind": ["Unknown value x."]})
    result = do_import_batch([row], actor=None)
    assert result.cases == []
    assert result.errors[0].line == 7 and result.errors[0].fields == {"kind": ["Unknown value x."]}
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_role_without_case_create_is_refused_and_nothing_written(make_user):
    with pytest.raises(Forbidden):
        do_import_batch(rows(new_case()), actor=make_user("executive"))
    assert Case.objects.count() == 0 and Customer.objects.count() == 0


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_batch(org):
    lookups = Lookups.load()

    def queries(n: int, offset: int) -> list[str]:
        """The statements other than INSERTs (which the database driver may split in chunks)."""
        batch = rows(*[new_case(customer=CustomerInput(phone=f"137{offset + i:08d}", email=f"{i}@x.cn"),
                                received_at=at("2026-09-02 10:00") if i % 2 else at("2026-10-02 10:00"))
                       for i in range(n)])
        with CaptureQueriesContext(connection) as ctx:
            result = do_import_batch(batch, actor=None, lookups=lookups)
        assert len(result.cases) == n
        return [q["sql"].split()[0] for q in ctx.captured_queries
                if not re.match(r"(\d+ times:)?\s*INSERT", q["sql"])]

    queries(2, 0)  # creates the months' counters
    assert queries(10, 100) == queries(300, 1000)
    # 17 on PostgreSQL: triage reads the category tree and its settings once per batch.
    assert len(queries(300, 2000)) <= 17
