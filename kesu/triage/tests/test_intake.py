"""Triage on every intake channel: suggestions stored, confident ones applied to empty fields (TR-6)."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from kesu.cases.actions import Classification
from kesu.cases.actions_import import do_run_import, do_start_import
from kesu.cases.events import verify_case_chains
from kesu.cases.models import Case, CaseEvent
from kesu.mailin.actions import NewMailbox, do_create_mailbox, do_ingest_email
from kesu.mailin.tests.mails import mail
from kesu.org.models import OrgUnit
from kesu.triage import actions, service
from kesu.triage.actions_models import do_update_triage_settings
from kesu.triage.core.model import TriageModel
from kesu.triage.models import CaseTriage, TriageLabel
from kesu.triage.tests.support import product_defaults, shared_data_dir, triaged

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("triage_data")]

PACKAGING = "收到的茶叶包装破损，产品发霉了"  # category packaging at 0.51; severity major by a risk rule


@pytest.fixture(scope="module")
def triage_data_dir(tmp_path_factory: pytest.TempPathFactory, starter_model: TriageModel) -> Any:
    return shared_data_dir(tmp_path_factory, starter_model)


@pytest.fixture
def triage_data(settings: Any, triage_data_dir: Any, org: Any) -> None:
    settings.DATA_DIR = triage_data_dir
    product_defaults()


def triaged_event(case: Case) -> CaseEvent:
    return CaseEvent.objects.get(case=case, type=actions.TRIAGED)


def test_console_intake_stores_the_suggestion_and_applies_what_is_confident(make_user):
    agent = make_user("intake_agent", unit="S-E1")
    client = Client()
    client.force_login(agent)
    form = {"submit_key": "9f0c3f0e6f0a4d2c8d6f5b1d2a3c4e5f", "channel": "phone", "kind": "complaint",
            "customer_phone": "139-0000-2222", "customer_name": "赵六", "customer_level": "normal",
            "customer_type": "consumer", "product_name": "碧螺春", "demands": ["exchange"],
            "title": "", "description": PACKAGING, "org_unit": "S-E1", "emotion": "",
            "category": "", "validity": "", "severity": "", "priority": ""}
    assert client.post("/cases/new/", form).status_code == 302
    case = Case.objects.select_related("category").get()
    row = triaged(case)
    case.refresh_from_db()
    assert row.model_version == "test-starter"
    assert row.suggestions["category"]["code"] == "packaging"
    assert row.suggestions["category"]["confidence"] < 0.8
    assert row.risk_words == ["破损", "发霉"]
    assert {r["id"] for r in row.reasons} >= {"severity.hazard"}
    # Severity was raised by a rule (confidence 1.0) and intake left it empty: applied.
    assert (case.severity, case.validity, case.priority) == ("major", "specific", "important")
    assert case.category is None  # 0.51 < 0.8: left for a person
    assert row.state("severity") == "auto_applied"
    assert row.state("category") == "pending"
    assert row.state("kind") == "intake_confirmed"
    event = triaged_event(case)
    assert event.data["new"]["severity"] == "major"
    assert event.data["old"]["severity"] is None
    assert "category" not in event.data["new"]


def test_api_intake_is_triaged(make_user, api_client):
    agent = make_user("intake_agent", unit="S-E1")
    body = {"kind": "complaint", "channel": "phone", "description": "快递太慢了，一周还没到",
            "org_unit": "S-E1",
            "customer": {"name": "王五", "phone": "13700001234"}, "product": {"name": "龙井"},
            "demands": ["refund"]}
    r = api_client(agent).post("/api/v1/cases", body)
    assert r.status_code == 201, r.content
    case = Case.objects.select_related("category").get(number=r.json()["number"])
    row = triaged(case)
    case.refresh_from_db()
    assert row.suggestions["category"] == {"code": "delivery", "confidence": pytest.approx(0.84, abs=0.05)}
    assert case.category is not None and case.category.code == "delivery"
    assert row.decisions["category"]["state"] == "auto_applied"


def test_portal_intake_is_triaged(org):
    cache.clear()
    form = {"kind": "complaint", "store": "S-E1", "description": "牛奶喝了拉肚子住院了",
            "demands": ["refund"], "product_name": "鲜牛奶", "name": "李女士", "phone": "139-0000-2222",
            "submit_key": "6f1c2a0e-3b7d-4c55-9a8e-2f0d4b1e7c91"}
    r = Client().post("/portal/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    row = triaged(case)
    case.refresh_from_db()
    assert row.crisis is True
    assert row.risk_words == ["拉肚子", "住院"]
    assert (case.severity, case.priority) == ("serious", "urgent")


def test_email_intake_kind_is_only_a_default(org):
    do_create_mailbox(NewMailbox(name="service", org_unit="S-E1", address="kefu@shop.example.cn"), actor=None)
    raw = mail(subject="表扬", body="挺好")
    case = do_ingest_email(raw, mailbox="service").case
    assert case is not None
    row = triaged(case)
    case.refresh_from_db()
    # The mailbox's default kind (complaint) is not a person's choice: a confident "praise" replaces it,
    # and a praise needs no product or demands, so the case is no longer waiting for information.
    assert row.decisions["kind"]["state"] == "auto_applied"
    assert (case.kind, case.status, case.missing_fields) == ("praise", "new", [])
    assert not TriageLabel.objects.filter(case=case).exists()


def test_import_is_triaged_in_bulk_and_keeps_every_chain(org):
    csv = ("描述,手机,受理时间,类型\n快递太慢了，一周还没到,13800001111,2026-09-30 16:00,投诉\n"
           "挺好,13800002222,2026-09-30 17:00,投诉\n")
    job = do_start_import(io.BytesIO(csv.encode()), name="x.csv", mode="good_rows",
                          org_unit=OrgUnit.objects.get(code="HQ"), actor=None, enqueue=False)
    assert do_run_import(job.pk).imported_rows == 2
    slow, fine = Case.objects.select_related("category").order_by("received_at")
    for case in (slow, fine):
        triaged(case, bulk=True)
    slow.refresh_from_db()
    assert slow.category is not None and slow.category.code == "delivery"
    assert CaseTriage.objects.get(case=fine).suggestions["kind"]["code"] == "praise"
    assert CaseTriage.objects.get(case=fine).decisions["kind"]["state"] == "intake_corrected"
    labels = TriageLabel.objects.filter(case=fine).values_list("field", "code", "suggested", "source")
    assert list(labels) == [("kind", "complaint", "praise", "corrected")]
    assert triaged_event(slow).data["new"]["category"] == "delivery"
    assert list(verify_case_chains()) == []


def test_below_the_threshold_nothing_is_applied_and_lowering_it_applies(make_case, make_user):
    first = make_case(description=PACKAGING)
    assert triaged(first).state("category") == "pending"
    first.refresh_from_db()
    assert first.category is None
    do_update_triage_settings(auto_apply_threshold=0.5, actor=make_user("admin"))
    second = make_case(description=PACKAGING)
    assert triaged(second).state("category") == "auto_applied"
    second.refresh_from_db()
    assert second.category is not None and second.category.code == "packaging"


def test_threshold_one_applies_only_rule_raised_values(make_case, make_user):
    do_update_triage_settings(auto_apply_threshold=1.0, actor=make_user("admin"))
    case = make_case(description=PACKAGING)
    row = triaged(case)
    case.refresh_from_db()
    assert case.severity == "major"  # the hazard rule's 1.0
    assert row.state("emotion") == "pending" and case.emotion == ""


def test_automatic_application_can_be_switched_off(make_case, make_user):
    do_update_triage_settings(auto_apply_threshold=0.8, auto_apply=False, actor=make_user("admin"))
    case = make_case(description=PACKAGING)
    row = triaged(case)
    case.refresh_from_db()
    assert (case.severity, case.validity, case.priority, case.emotion) == ("", "", "", "")
    assert row.state("severity") == "pending" and row.suggestions["severity"]["code"] == "major"
    assert not CaseEvent.objects.filter(case=case, type="case.triaged").exists()  # nothing changed


def test_values_given_at_intake_are_confirmed_or_become_corrections(make_case, make_user):
    agent = make_user("intake_agent")
    case = make_case(actor=agent, description=PACKAGING,
                     classification=Classification(severity="minor", validity="specific"))
    row = triaged(case)
    case.refresh_from_db()
    assert case.severity == "minor"  # intake's value stays
    assert row.decisions["severity"]["state"] == "intake_corrected"
    assert row.decisions["validity"]["state"] == "intake_confirmed"
    label = TriageLabel.objects.get(case=case)
    assert (label.field, label.code, label.suggested, label.source, label.user) == (
        "severity", "minor", "major", "corrected", agent)
    assert label.text == "包装破损\n" + PACKAGING  # title and description


def test_a_sub_category_confirms_its_parent_suggestion(make_case, make_user):
    from kesu.cases.models import Category

    parent = Category.objects.get(code="delivery")
    Category.objects.create(code="late_delivery", name="配送延误", parent=parent)
    case = make_case(description="快递太慢了，一周还没到",
                     classification=Classification(category="late_delivery"))
    assert triaged(case).decisions["category"]["state"] == "intake_confirmed"


def test_a_failing_model_never_loses_the_case(make_case, monkeypatch, caplog):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("model file damaged")

    monkeypatch.setattr(service, "suggest_many", broken)
    with caplog.at_level(logging.ERROR, logger="kesu.triage.actions"):
        case = make_case(description=PACKAGING)
        row = triaged(case)
    assert Case.objects.filter(pk=case.pk).exists()
    assert row.error and row.suggestions == {}
    assert not CaseEvent.objects.filter(case=case, type=actions.TRIAGED).exists()
    assert "model file damaged" in caplog.text


def test_bulk_failure_saves_rows_without_suggestions(make_case, monkeypatch):
    monkeypatch.setattr(service, "suggest_many", lambda *a, **k: (_ for _ in ()).throw(OSError("disk")))
    case = make_case(description="挺好")
    CaseTriage.objects.filter(case=case).delete()
    actions.do_triage_cases([Case.objects.select_related("customer").get(pk=case.pk)], at=timezone.now())
    assert CaseTriage.objects.get(case=case).error == "model unavailable"
