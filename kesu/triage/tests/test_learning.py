"""Learning and promotion: labels become training data, a retrained version changes predictions,
promotion and rollback are audited and followed by prediction (TR-6)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from kesu.cases.actions import Classification
from kesu.cases.models import Case, Category
from kesu.core.errors import Conflict, Forbidden
from kesu.core.models import AuditEvent
from kesu.triage import service
from kesu.triage.actions import do_confirm_triage
from kesu.triage.actions_models import (
    do_promote_model_version,
    do_rollback_model_version,
    do_train_model_version,
    sync_model_versions,
)
from kesu.triage.core import store
from kesu.triage.core.model import TriageModel
from kesu.triage.core.train import TrainConfig
from kesu.triage.models import CaseTriage, ModelVersion, TriageLabel
from kesu.triage.tests.support import own_data_dir, product_defaults, triaged

pytestmark = pytest.mark.django_db

QUEUE = "叫号机坏了，等了一个小时"  # the starter model says category "other" (0.44)
QUEUE_CASES = ["叫号机坏了，等了一个小时", "网点叫号机又坏了", "叫号机不出号，排队排了好久"]


@pytest.fixture
def models_root(settings: Any, tmp_path: Path, starter_model: TriageModel, org: Any) -> Path:
    product_defaults()
    return own_data_dir(settings, tmp_path, starter_model)


@pytest.fixture
def admin(make_user: Any) -> Any:
    return make_user("admin")


def test_labels_become_one_example_per_case_with_the_latest_codes(models_root, make_case, make_user):
    agent = make_user("handler")
    parent = Category.objects.get(code="product_quality")
    Category.objects.create(code="foreign_matter", name="异物", parent=parent)
    case = make_case(description="面包里吃出头发")
    triaged(case)
    do_confirm_triage(case, {"category": "foreign_matter", "severity": "minor"}, actor=agent)
    do_confirm_triage(case, {"severity": "major"}, actor=agent)
    [example] = service.extra_examples()
    # a sub-category trains as the nearest category the model knows
    assert example.labels == {"category": "product_quality", "severity": "major"}
    assert example.text == "包装破损\n面包里吃出头发"
    assert example.source == "corrected"
    assert TriageLabel.objects.filter(case=case).count() == 3


def test_a_retrained_version_learns_from_corrections(models_root, make_case, make_user, admin,
                                                     django_capture_on_commit_callbacks):
    assert service.suggest(QUEUE).code("category") == "other"
    handler = make_user("handler")
    for text in QUEUE_CASES:
        case = make_case(title="", description=text)
        triaged(case)
        do_confirm_triage(case, {"category": "service_attitude"}, actor=handler)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = do_train_model_version(actor=admin, promote=True, config=TrainConfig(cv_folds=0))
    new = outcome.version
    assert new.is_current and new.previous is not None and new.previous.version == "test-starter"
    assert new.sources == {"starter": 648, "corrected": 3}
    assert store.current_version(models_root) == new.version  # the file mirrors the database
    assert service.suggest(QUEUE).code("category") == "service_attitude"
    later = make_case(title="", description="银行的叫号机坏了")
    assert triaged(later).model_version == new.version
    assert AuditEvent.objects.filter(type="triage.model_promoted", object_id=new.version).count() == 1
    assert AuditEvent.objects.filter(type="triage.model_trained", object_id=new.version).count() == 1


def _second_version(root: Path) -> str:
    """Another version on disk, not current (a copy of the starter model under a new name)."""
    model = store.load(root, "test-starter")
    model.version = "test-second"
    store.save(model, root, make_current=False)
    return "test-second"


def test_promote_and_roll_back_are_audited_and_followed(models_root, admin,
                                                        django_capture_on_commit_callbacks):
    second = _second_version(models_root)
    with django_capture_on_commit_callbacks(execute=True):
        do_promote_model_version(second, actor=admin, notes="more data")
    assert service.get_model().version == second
    rows = {m.version: m for m in ModelVersion.objects.all()}
    assert rows[second].is_current and rows[second].promoted_by == admin and rows[second].notes == "more data"
    assert rows["test-starter"].is_current is False
    with django_capture_on_commit_callbacks(execute=True):
        back = do_rollback_model_version(actor=admin)
    assert back.version == "test-starter"
    assert service.get_model().version == "test-starter"
    assert ModelVersion.objects.get(is_current=True).version == "test-starter"
    audit = list(AuditEvent.objects.filter(type__startswith="triage.model").values_list("type", "data"))
    assert audit == [
        ("triage.model_promoted", {"old": "test-starter", "new": second, "notes": "more data"}),
        ("triage.model_rolled_back", {"old": second, "new": "test-starter", "notes": ""}),
    ]
    with pytest.raises(Conflict):
        do_rollback_model_version(actor=admin)  # the starter was adopted, not promoted over anything


def test_only_administrators_promote_and_nothing_changes_otherwise(models_root, make_user):
    second = _second_version(models_root)
    with pytest.raises(Forbidden):
        do_promote_model_version(second, actor=make_user("cs_supervisor"))
    with pytest.raises(Forbidden):
        do_train_model_version(actor=make_user("quality_engineer"))
    assert not ModelVersion.objects.exists()
    assert store.current_version(models_root) == "test-starter"
    assert not AuditEvent.objects.filter(type__startswith="triage.").exists()


def test_sync_registers_versions_on_disk_and_adopts_the_file_current(models_root):
    _second_version(models_root)
    rows = {m.version: m for m in sync_model_versions()}
    assert set(rows) == {"test-starter", "test-second"}
    assert rows["test-starter"].is_current and rows["test-starter"].promoted_by is None
    assert rows["test-starter"].training_size == 648
    sync_model_versions()
    assert ModelVersion.objects.count() == 2


def test_command_on_the_installation_root_registers_and_audits(models_root, settings):
    settings.TRIAGE_TRAIN_CV_FOLDS = 0
    out = io.StringIO()
    with translation.override("en"):
        call_command("triage", "train", "--starter", stdout=out)
    current = ModelVersion.objects.get(is_current=True)
    assert current.version != "test-starter"
    assert f"Model {current.version} trained on 648 examples" in out.getvalue()
    assert current.previous is not None and current.previous.version == "test-starter"
    with translation.override("en"):
        call_command("triage", "use", "test-starter", stdout=io.StringIO())
    assert ModelVersion.objects.get(is_current=True).version == "test-starter"
    assert store.current_version(models_root) == "test-starter"
    assert AuditEvent.objects.filter(type="triage.model_promoted").count() == 2


def test_confirming_a_case_without_a_triage_row_still_labels_it(models_root, make_case, make_user):
    case = make_case(description="挺好", classification=Classification(validity="vague"))
    TriageLabel.objects.filter(case=case).delete()  # a case from before triage: no row, no labels
    CaseTriage.objects.filter(case=case).delete()
    row = do_confirm_triage(case, {"kind": "praise"}, actor=make_user("handler"))
    assert row.decisions["kind"]["state"] == "corrected"
    assert Case.objects.get(pk=case.pk).kind == "praise"
    assert TriageLabel.objects.get(case=case).source == "corrected"
