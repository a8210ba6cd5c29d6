"""`kesu audit verify` finds edited and deleted rows in both hash chains (SE-3)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from kesu.cases.events import verify_case_chains
from kesu.cases.models import CaseEvent
from kesu.core import audit
from kesu.core.audit import verify_audit_chain
from kesu.core.models import AppendOnlyError, AuditEvent


def _raw(sql: str, params: list[object]) -> None:
    """Tamper the way an attacker with database access would: below the ORM."""
    with connection.cursor() as cur:
        cur.execute(sql, params)


@pytest.mark.django_db
def test_intact_chains_verify_clean(make_case, capsys):
    make_case()
    make_case(unit="S-E1")
    with translation.override("en"):
        call_command("audit", "verify")
    assert "all event chains are intact" in capsys.readouterr().out


@pytest.mark.django_db
def test_orm_refuses_update_and_delete(make_case):
    case = make_case()
    event = CaseEvent.objects.get(case=case)
    event.type = "x"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


@pytest.mark.django_db
def test_edited_case_event_is_reported(make_case, capsys):
    case = make_case()
    _raw("UPDATE cases_caseevent SET data = %s WHERE case_id = %s",
         ['{"new": {"title": "forged"}}', case.pk])
    problems = list(verify_case_chains())
    assert [(p.chain, p.seq, p.problem) for p in problems] == [(case.number, 1, "edited")]
    with translation.override("zh-hans"), pytest.raises(CommandError):
        call_command("audit", "verify")
    assert f"客诉单 {case.number}" in capsys.readouterr().out


@pytest.mark.django_db
def test_deleted_case_event_is_reported(make_case, make_user):
    from kesu.cases.actions import Classification, do_classify_case

    case = make_case()
    do_classify_case(case, Classification(severity="major"), actor=make_user("handler"))
    do_classify_case(case, Classification(severity="minor"), actor=make_user("handler"))
    _raw("DELETE FROM cases_caseevent WHERE case_id = %s AND seq = 2", [case.pk])
    problems = {(p.seq, p.problem) for p in verify_case_chains()}
    assert (2, "missing") in problems and (3, "broken link") in problems


@pytest.mark.django_db
def test_deleting_the_newest_event_is_reported(make_case, make_user):
    from kesu.cases.actions import Classification, do_classify_case

    case = make_case()
    do_classify_case(case, Classification(severity="major"), actor=make_user("handler"))
    _raw("DELETE FROM cases_caseevent WHERE case_id = %s AND seq = 2", [case.pk])
    assert [(p.seq, p.problem) for p in verify_case_chains()] == [(2, "missing")]


@pytest.mark.django_db
def test_global_audit_chain_detects_edit_and_delete(db):
    for i in range(4):
        audit.record("test.event", object_type="thing", object_id=i, data={"i": i})
    assert list(verify_audit_chain()) == []
    _raw("UPDATE core_auditevent SET object_id = %s WHERE seq = 2", ["99"])
    _raw("DELETE FROM core_auditevent WHERE seq = 3", [])
    found = {(p.seq, p.problem) for p in verify_audit_chain()}
    assert found == {(2, "edited"), (3, "missing"), (4, "broken link")}
    assert AuditEvent.objects.count() == 3


def test_cli_language_follows_the_environment():
    from kesu.cli import cli_language

    assert cli_language({}, "zh-hans") == "zh-hans"
    assert cli_language({"LANG": "C.UTF-8"}, "zh-hans") == "zh-hans"
    assert cli_language({"LANG": "en_US.UTF-8"}, "zh-hans") == "en"
    assert cli_language({"LANG": "en_US.UTF-8", "KESU_LANGUAGE": "zh"}, "zh-hans") == "zh-hans"
    assert cli_language({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh-hans") == "zh-hans"


@pytest.mark.django_db
def test_events_appended_while_verifying_are_not_reported(make_case, make_user, monkeypatch):
    """A case written between the read of its head and of its events is not 'missing' events."""
    from kesu.cases.actions import Classification, do_classify_case

    case = make_case()
    handler = make_user("handler")
    real_filter = CaseEvent.objects.filter
    appended: list[object] = []

    def filter_after_an_append(*args: object, **kwargs: object) -> object:
        if not appended:  # the case's head was read with one event; now a second is appended
            appended.append(do_classify_case(case, Classification(severity="major"), actor=handler))
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(CaseEvent.objects, "filter", filter_after_an_append)
    assert list(verify_case_chains()) == []
    assert appended and CaseEvent.objects.count() == 2


@pytest.mark.django_db
def test_an_event_added_behind_the_heads_back_is_reported(make_case):
    case = make_case()
    first = CaseEvent.objects.get(case=case)
    _raw("INSERT INTO cases_caseevent (case_id, seq, type, actor_name, at, data, prev_hash, hash) "
         "VALUES (%s, 2, 'case.closed', 'x', %s, %s, %s, %s)",
         [case.pk, first.at, '{"new": {}}', first.hash, "f" * 64])
    assert [(p.seq, p.problem) for p in verify_case_chains()] == [(2, "beyond the head")]


@pytest.mark.django_db
def test_audit_rows_recorded_while_verifying_are_not_reported(db, monkeypatch):
    audit.record("test.event", object_type="thing", object_id=1, data={})
    real_filter = AuditEvent.objects.filter
    recorded: list[object] = []

    def filter_after_a_record(*args: object, **kwargs: object) -> object:
        if not recorded:  # the head was read at seq 1; a login is recorded meanwhile
            recorded.append(audit.record("test.event", object_type="thing", object_id=2, data={}))
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(AuditEvent.objects, "filter", filter_after_a_record)
    assert list(verify_audit_chain()) == []
    assert recorded and AuditEvent.objects.count() == 2
