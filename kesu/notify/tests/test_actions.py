"""notify(): rows in the caller's transaction, recipients, preferences, rollback, rendering."""

from __future__ import annotations

import pytest
from django.db import transaction

from kesu.notify.actions import EndpointInput, do_save_webhook_endpoint, do_set_preferences, notify
from kesu.notify.choices import Channel, Event, OutboxState
from kesu.notify.models import Notification, Outbox

pytestmark = pytest.mark.django_db


def test_rows_per_recipient_and_wanted_channel_and_actor_left_out(person, make_case, base_url,
                                                                  django_capture_on_commit_callbacks):
    case = make_case(unit="S-E1")
    actor, li, wang = person("actor"), person("li"), person("wang", language="en")
    with django_capture_on_commit_callbacks() as callbacks:
        rows = notify(Event.CASE_ASSIGNED, case=case, recipients=[li, wang, actor, li, None],
                      context={"assignee": "Li"}, actor=actor)
    stored = sorted(Outbox.objects.values_list("recipient__username", "channel", "address", "state"))
    assert stored == [("li", "email", "li@example.test", "pending"), ("li", "in_app", "", "pending"),
                      ("wang", "email", "wang@example.test", "pending"), ("wang", "in_app", "", "pending")]
    assert len(rows) == 4 and len(callbacks) == 1
    zh = Outbox.objects.get(recipient=li, channel="email")
    en = Outbox.objects.get(recipient=wang, channel="email")
    assert zh.language == "zh-hans" and en.language == "en"
    assert zh.subject == f"客诉单 {case.number} 已分派给 Li：包装破损"
    assert en.subject == f"Case {case.number} was assigned to Li: 包装破损"
    assert f"受理编号：{case.number}" in zh.body and "状态：新建" in zh.body
    assert "Status: New" in en.body and "Org unit: 上海南京路店" in en.body
    assert zh.link == f"https://kesu.example.test/cases/{case.number}/"


def test_times_are_shown_in_the_org_unit_time_zone(person, make_case):
    from datetime import UTC, datetime

    case = make_case(received_at=datetime(2026, 3, 2, 1, 30, tzinfo=UTC))
    notify(Event.CASE_CREATED, case=case, recipients=[person("li")], context={})
    assert "受理时间：2026-03-02 09:30" in Outbox.objects.get().body


def test_rollback_leaves_no_row_and_nothing_enqueued(person, make_case, django_capture_on_commit_callbacks):
    case = make_case()
    li = person("li")
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                notify(Event.CASE_ESCALATED, case=case, recipients=[li], context={})
                assert Outbox.objects.count() == 2
                raise RuntimeError("the case change failed")
    assert Outbox.objects.count() == 0
    assert callbacks == []


def test_commit_delivers_in_app_through_the_task(person, make_case, django_capture_on_commit_callbacks):
    case = make_case()
    li = person("li")
    with django_capture_on_commit_callbacks(execute=True):
        notify(Event.CASE_STATUS_CHANGED, case=case, recipients=[li],
               context={"old_status": "new", "new_status": "awaiting_info", "reason": "缺少批次号"})
    row = Outbox.objects.get()
    assert (row.channel, row.state, row.attempts) == ("in_app", "sent", 1)
    note = Notification.objects.get()
    assert (note.user, note.case, note.read_at) == (li, case, None)
    assert note.subject == f"客诉单 {case.number} 状态变更为“待补充信息”"
    assert note.body.startswith(
        f"客诉单 {case.number} 的状态由“新建”变更为“待补充信息”。\n原因：缺少批次号\n\n")
    assert note.link.endswith(f"/cases/{case.number}/")


def test_preferences_override_defaults(person, make_case):
    case = make_case()
    li, wang = person("li"), person("wang")
    do_set_preferences(li, {(Event.CASE_ASSIGNED, Channel.EMAIL): False,
                            (Event.CASE_CREATED, Channel.EMAIL): True}, actor=li)
    notify(Event.CASE_ASSIGNED, case=case, recipients=[li, wang], context={})
    notify(Event.CASE_CREATED, case=case, recipients=[li, wang], context={})
    assert sorted(Outbox.objects.values_list("event", "recipient__username", "channel")) == [
        ("case.assigned", "li", "in_app"), ("case.assigned", "wang", "email"),
        ("case.assigned", "wang", "in_app"),
        ("case.created", "li", "email"), ("case.created", "li", "in_app"), ("case.created", "wang", "in_app"),
    ]


def test_user_without_email_or_inactive_gets_no_mail_and_nothing_raises(person, make_case):
    case = make_case()
    no_mail = person("nomail", email="")
    gone = person("gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    notify(Event.SLA_BREACHED, case=case, recipients=[no_mail, gone], context={"clock": "首次响应"})
    assert list(Outbox.objects.values_list("recipient__username", "channel")) == [("nomail", "in_app")]


def test_unknown_event_is_a_programming_error(person, make_case):
    with pytest.raises(KeyError):
        notify("case.nonsense", case=make_case(), recipients=[person("li")], context={})
    assert Outbox.objects.count() == 0


def test_subscribed_active_webhooks_get_one_row_each(person, make_case, base_url):
    admin = person("boss", role="admin")
    case = make_case()
    for name, events, active in [("ding", [Event.CASE_CRISIS], True), ("wecom", [Event.CASE_CREATED], True),
                                 ("off", [Event.CASE_CRISIS], False)]:
        do_save_webhook_endpoint(EndpointInput(name=name, kind="generic", url="http://127.0.0.1:9/x",
                                               events=events, is_active=active), actor=admin)
    notify(Event.CASE_CRISIS, case=case, recipients=[],
           context={"reason": "媒体曝光", "team": ["张总", "李工"]})
    row = Outbox.objects.get()
    assert (row.channel, row.endpoint.name, row.state) == ("webhook", "ding", OutboxState.PENDING)
    assert row.payload["event"] == "case.crisis" and row.payload["delivery"] == str(row.delivery_id)
    assert row.payload["case"] == {"number": case.number, "title": "包装破损", "status": "new",
                                   "kind": "complaint", "org_unit": "HQ",
                                   "url": f"https://kesu.example.test/cases/{case.number}/"}
    assert row.payload["data"] == {"reason": "媒体曝光", "team": ["张总", "李工"]}
    assert row.subject == f"【危机】客诉单 {case.number}：包装破损"


def test_one_message_carries_all_rows_of_a_notification(person, make_case, monkeypatch,
                                                       django_capture_on_commit_callbacks):
    from kesu.notify import tasks

    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.deliver_many, "delay", sent.append)
    case = make_case()
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(Event.CASE_ESCALATED, case=case, recipients=[person("li"), person("wang")], context={})
    assert sent == [[r.pk for r in rows]] and len(rows) == 4


def test_paused_enqueueing_leaves_the_rows_to_the_periodic_delivery(person, make_case, monkeypatch,
                                                                    django_capture_on_commit_callbacks):
    from kesu.notify import tasks
    from kesu.notify.actions import enqueue_paused
    from kesu.notify.delivery import deliver_due

    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.deliver_many, "delay", sent.append)
    case = make_case()
    with enqueue_paused(), django_capture_on_commit_callbacks(execute=True):
        notify(Event.CASE_ESCALATED, case=case, recipients=[person("li")], context={})
    assert sent == [] and set(Outbox.objects.values_list("state", flat=True)) == {"pending"}
    deliver_due()
    assert set(Outbox.objects.values_list("state", flat=True)) == {"sent"}
    with django_capture_on_commit_callbacks(execute=True):  # paused only inside the block
        notify(Event.CASE_ESCALATED, case=case, recipients=[person("wang")], context={})
    assert len(sent) == 1
