"""The crisis flag (TR-7): team, event, outbox rows; triage as the actor; resolving."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kesu.cases.actions_links import crisis_team, do_flag_crisis, do_resolve_crisis
from kesu.cases.models import Case, CaseCrisis, CaseEvent, LinkSettings
from kesu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kesu.notify.models import Outbox
from kesu.org.actions import NewUser, do_create_department, do_create_user
from kesu.org.models import OrgUnit, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org: dict[str, OrgUnit]) -> dict[str, User]:
    """A crisis team at head office, and people who are not on it."""
    do_create_department(code="QA", name="质量部", kind="quality", org_unit=org["HQ"], actor=None)
    do_create_department(code="TECH", name="技术部", kind="technical", org_unit=org["HQ"], actor=None)
    do_create_department(code="LOG", name="物流部", kind="logistics", org_unit=org["HQ"], actor=None)
    do_create_department(code="S-TECH", name="华南技术部", kind="technical", org_unit=org["SOUTH"],
                         actor=None)

    def user(name: str, role: str, unit: str = "HQ", dept: str | None = None) -> User:
        return do_create_user(NewUser(username=name, role=role, org_unit_code=unit, department_code=dept,
                                      display_name=name.upper(), email=f"{name}@example.com"), actor=None)

    return {
        "ceo": user("ceo", "executive"),
        "cs": user("cs", "cs_supervisor"),
        "qa_head": user("qa_head", "department_head", dept="QA"),
        "tech_head": user("tech_head", "department_head", dept="TECH"),
        "east_cs": user("east_cs", "cs_supervisor", unit="EAST"),
        "log_head": user("log_head", "department_head", dept="LOG"),
        "south_tech": user("south_tech", "department_head", unit="SOUTH", dept="S-TECH"),
        "handler": user("handler", "handler", unit="S-E1"),
        "auditor": user("auditor", "auditor"),
        "store_agent": user("store_agent", "intake_agent", unit="S-S1"),
    }


TEAM = ["ceo", "cs", "qa_head", "tech_head"]


def test_the_team_is_top_management_customer_service_and_quality_and_technical_heads(
    people: dict[str, User], make_case: Callable[..., Case],
) -> None:
    case = make_case(unit="S-E1")
    assert sorted(u.username for u in crisis_team(case)) == TEAM
    # A region's technical head is on the team only for cases in that region.
    assert "south_tech" in {u.username for u in crisis_team(make_case(unit="S-S1"))}
    LinkSettings.objects.create(pk=1, crisis_roles=["executive"], crisis_department_kinds=["logistics"])
    assert sorted(u.username for u in crisis_team(case)) == ["ceo", "log_head"]


def test_triage_flags_a_crisis_the_team_is_recorded_and_notified(
    people: dict[str, User], make_case: Callable[..., Case],
) -> None:
    case = make_case(unit="S-E1")

    crisis = do_flag_crisis(case, reason="媒体曝光：抖音视频", actor=None)

    assert (crisis.raised_by, crisis.reason, crisis.resolved_at) == (None, "媒体曝光：抖音视频", None)
    assert sorted(crisis.team.values_list("username", flat=True)) == TEAM
    event = CaseEvent.objects.get(case=case, type="case.crisis")
    assert event.actor is None and event.data == {"reason": "媒体曝光：抖音视频", "team": [
        "cs", "qa_head", "tech_head", "ceo"]}
    rows = Outbox.objects.filter(event="case.crisis", case=case)
    assert sorted({r.recipient.username for r in rows}) == TEAM
    channels = {(r.recipient.username, r.channel) for r in rows}
    assert channels == {(n, c) for n in TEAM for c in ("in_app", "email")}
    body = rows.filter(language="zh-hans").first().body
    assert "媒体曝光：抖音视频" in body and "CS、QA_HEAD、TECH_HEAD、CEO" in body


def test_flagging_again_keeps_the_open_crisis(
    people: dict[str, User], make_case: Callable[..., Case],
) -> None:
    case = make_case(unit="S-E1")
    first = do_flag_crisis(case, reason="顾客住院", actor=None)
    again = do_flag_crisis(case, reason="媒体来电", actor=people["handler"])
    assert again.pk == first.pk and CaseCrisis.objects.count() == 1
    assert CaseEvent.objects.filter(case=case, type="case.crisis").count() == 1


def test_staff_flag_within_scope_and_role_and_with_a_reason(
    people: dict[str, User], make_case: Callable[..., Case],
) -> None:
    case = make_case(unit="S-E1")
    with pytest.raises(Forbidden):
        do_flag_crisis(case, reason="媒体", actor=people["auditor"])
    with pytest.raises(NotFound):
        do_flag_crisis(case, reason="媒体", actor=people["store_agent"])
    with pytest.raises(ValidationFailed) as empty:
        do_flag_crisis(case, reason="  ", actor=people["handler"])
    assert empty.value.fields == {"reason": ["必须填写原因。"]}  # zh-Hans is the default language
    assert CaseCrisis.objects.count() == 0 and Outbox.objects.filter(event="case.crisis").count() == 0

    crisis = do_flag_crisis(case, reason="顾客说要找记者", actor=people["handler"])
    assert crisis.raised_by == people["handler"]
    # The actor is not told of their own act; the team is.
    assert not Outbox.objects.filter(event="case.crisis", recipient=people["handler"]).exists()


def test_resolving_by_a_supervisor_or_a_team_member(
    people: dict[str, User], make_case: Callable[..., Case],
) -> None:
    case = make_case(unit="S-E1")
    with pytest.raises(Conflict):
        do_resolve_crisis(case, actor=people["cs"])
    do_flag_crisis(case, reason="顾客住院", actor=None)
    with pytest.raises(Forbidden):
        do_resolve_crisis(case, note="", actor=people["handler"])
    assert CaseCrisis.objects.get().resolved_at is None

    crisis = do_resolve_crisis(case, note="已与顾客和解", actor=people["qa_head"])

    assert (crisis.resolved_by, crisis.resolution) == (people["qa_head"], "已与顾客和解")
    assert crisis.resolved_at is not None
    resolved = CaseEvent.objects.filter(case=case, type="case.crisis_resolved").get()
    assert resolved.data == {"note": "已与顾客和解"}
    # A new crisis may follow a resolved one.
    assert do_flag_crisis(case, reason="再次曝光", actor=None).pk != crisis.pk


def test_admins_set_the_policy_and_bad_values_are_refused(
    people: dict[str, User], make_user: Callable[..., User],
) -> None:
    from kesu.cases.actions_links import LinkSettingsInput, do_save_link_settings
    from kesu.core.models import AuditEvent

    admin = make_user("admin")
    with pytest.raises(Forbidden):
        do_save_link_settings(LinkSettingsInput(), actor=people["cs"])
    with pytest.raises(ValidationFailed) as bad:
        do_save_link_settings(LinkSettingsInput(repeat_threshold=0.9, duplicate_threshold=0.5,
                                                window_days=0, crisis_roles=("boss",)), actor=admin)
    assert set(bad.value.fields) == {"duplicate_threshold", "window_days", "crisis_roles"}
    assert not LinkSettings.objects.exists()

    row = do_save_link_settings(LinkSettingsInput(window_days=60, crisis_roles=("executive",)), actor=admin)
    assert (row.pk, row.window_days, row.crisis_roles) == (1, 60, ["executive"])
    assert LinkSettings.current().window_days == 60
    assert AuditEvent.objects.filter(type="link_settings.saved", actor=admin).count() == 1
