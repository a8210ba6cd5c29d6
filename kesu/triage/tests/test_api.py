"""``/api/v1/triage``: the triage object, confirm/correct, suggest, versions and promotion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kesu.cases.models import Case
from kesu.triage.core import store
from kesu.triage.core.model import TriageModel
from kesu.triage.models import CaseTriage, ModelVersion, TriageLabel
from kesu.triage.schemas import TriageOut, triage_dict
from kesu.triage.tests.support import own_data_dir, product_defaults, triaged

pytestmark = pytest.mark.django_db

PACKAGING = "收到的茶叶包装破损，产品发霉了"


@pytest.fixture(autouse=True)
def models_root(settings: Any, tmp_path: Path, starter_model: TriageModel, org: Any) -> Path:
    product_defaults()
    return own_data_dir(settings, tmp_path, starter_model)


@pytest.fixture
def case(make_case: Any) -> Case:
    made = make_case(unit="S-E1", description=PACKAGING)
    triaged(made)
    return made


def test_triage_dict_is_the_case_json_triage_object(case):
    data = triage_dict(Case.objects.select_related("triage").get(pk=case.pk))
    assert data is not None
    TriageOut.model_validate(data)  # the schema the lead adds to CaseOut accepts it
    assert data["model_version"] == "test-starter"
    assert data["category"]["code"] == "packaging" and data["category"]["state"] == "pending"
    assert data["category"]["value"] is None and data["category"]["decided_by"] is None
    assert data["severity"] == {"code": "major", "confidence": 1.0, "state": "auto_applied", "value": "major",
                                "decided_by": None, "decided_at": data["severity"]["decided_at"]}
    reasons = {r["id"]: r for r in data["reasons"]}
    assert reasons["severity.hazard"]["params"] == {"word": "发霉", "level": "major"}
    assert reasons["severity.hazard"]["text"]
    assert data["risk_words"] == ["破损", "发霉"]


def test_triage_dict_is_none_for_a_case_without_triage(make_case):
    case = make_case(description="挺好")
    CaseTriage.objects.filter(case=case).delete()  # as for a case registered before triage existed
    assert triage_dict(Case.objects.get(pk=case.pk)) is None


def test_get_a_case_triage(case, make_user, api_client):
    r = api_client(make_user("handler", unit="S-E1")).get(f"/api/v1/triage/cases/{case.number}")
    assert r.status_code == 200
    assert r.json()["category"]["code"] == "packaging"
    other = api_client(make_user("handler", unit="S-S1"))
    assert other.get(f"/api/v1/triage/cases/{case.number}").status_code == 404


def test_confirm_and_correct_in_one_call(case, make_user, api_client):
    user = make_user("handler", unit="S-E1")
    r = api_client(user).post(f"/api/v1/triage/cases/{case.number}/confirm",
                              {"fields": {"category": "packaging", "severity": "minor"}})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["category"]["state"], body["category"]["value"], body["category"]["decided_by"]) == (
        "confirmed", "packaging", user.username)
    assert (body["severity"]["state"], body["severity"]["value"]) == ("corrected", "minor")
    case.refresh_from_db()
    assert (case.category.code, case.severity) == ("packaging", "minor")
    assert set(TriageLabel.objects.filter(case=case).values_list("field", "source")) == {
        ("category", "confirmed"), ("severity", "corrected")}


def test_confirm_errors_are_coded_and_change_nothing(case, make_user, api_client):
    client = api_client(make_user("handler", unit="S-E1"))
    url = f"/api/v1/triage/cases/{case.number}/confirm"
    r = client.post(url, {"fields": {"mood": "x", "severity": "zzz"}})
    assert r.status_code == 422
    assert r.json()["code"] == "validation_failed"
    assert set(r.json()["fields"]) == {"mood", "severity"}
    r = client.post(f"/api/v1/triage/cases/{case.number}/confirm", {"fields": {}})
    assert r.status_code == 422
    r = api_client(make_user("auditor")).post(f"/api/v1/triage/cases/{case.number}/confirm",
                                             {"fields": {"category": "packaging"}})
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    assert not TriageLabel.objects.exists()
    assert Case.objects.get(pk=case.pk).category is None


def test_suggest_a_text(make_user, api_client):
    r = api_client(make_user("intake_agent")).post("/api/v1/triage/suggest", {"text": "牛奶喝了拉肚子住院了"})
    assert r.status_code == 200
    body = r.json()
    assert body["severity"]["code"] == "serious" and body["crisis"] is True
    assert body["reasons"][0]["text"]
    assert api_client(make_user("auditor")).post("/api/v1/triage/suggest", {"text": "x"}).status_code == 403


def test_versions_and_promotion(models_root, make_user, api_client, django_capture_on_commit_callbacks):
    model = store.load(models_root, "test-starter")
    model.version = "test-second"
    store.save(model, models_root, make_current=False)
    r = api_client(make_user("handler")).get("/api/v1/triage/versions")
    assert r.status_code == 200
    assert [(v["version"], v["is_current"], v["registered"]) for v in r.json()] in (
        [("test-second", False, False), ("test-starter", True, False)],
        [("test-starter", True, False), ("test-second", False, False)])
    assert api_client(make_user("cs_supervisor")).post(
        "/api/v1/triage/versions/test-second/promote", {}).status_code == 403
    assert not ModelVersion.objects.exists()
    admin = api_client(make_user("admin"))
    with django_capture_on_commit_callbacks(execute=True):
        r = admin.post("/api/v1/triage/versions/test-second/promote", {})
    assert r.status_code == 200
    assert (r.json()["version"], r.json()["is_current"], r.json()["previous"]) == (
        "test-second", True, "test-starter")
    assert store.current_version(models_root) == "test-second"
    assert admin.post("/api/v1/triage/versions/nope/promote", {}).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        r = admin.post("/api/v1/triage/versions/rollback", {})
    assert (r.status_code, r.json()["version"]) == (200, "test-starter")
    r = admin.post("/api/v1/triage/versions/rollback", {})
    assert (r.status_code, r.json()["code"]) == (409, "no_previous_version")
