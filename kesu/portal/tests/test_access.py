"""The portal's read path: lookups by token and by number + phone, the customer's history."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import translation

from kesu.cases import events
from kesu.core.errors import NotFound
from kesu.portal.access import case_by_number_and_phone, case_by_token, public_history, public_status_label

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _english():
    """These tests read message texts outside a request: pin the language they compare against."""
    with translation.override("en"):
        yield


@pytest.mark.django_db
def test_lookups_need_the_token_or_the_matching_phone(make_case):
    case = make_case(received_at=datetime(2026, 9, 30, 16, tzinfo=SH))
    assert case_by_token(case.tracking_token) == case
    assert case_by_number_and_phone("ks-202609-00001", "0086 138 0000 1111") == case
    for number, phone in (("KS-202609-00001", "13800001112"), ("KS-202609-00002", "13800001111"),
                          ("KS-202609-00001", ""), ("", "13800001111")):
        with pytest.raises(NotFound) as denied:
            case_by_number_and_phone(number, phone)
        assert denied.value.message == "No case matches this case number and phone number."
    for token in ("", case.number, case.tracking_token.upper()):
        with pytest.raises(NotFound):
            case_by_token(token)


@pytest.mark.django_db
def test_history_keeps_receipt_and_status_changes_only(make_case, make_user):
    staff = make_user("cs_supervisor")
    case = make_case(actor=staff)
    with transaction.atomic():
        events.append(case, events.EventType.UPDATED, actor=staff, data={"new": {"title": "内部"}})
        events.append(case, events.EventType.STATUS_CHANGED, actor=staff, data={"new": "awaiting_info"})
        events.append(case, events.EventType.STATUS_CHANGED, actor=staff, data={"new": {"status": "solved"}})
        events.append(case, events.EventType.STATUS_CHANGED, actor=staff, data={"note": "no status"})
    assert [e.text for e in public_history(case)] == [
        "Your case was received.", "Status: Waiting for information from you", "Status: In progress",
    ]


def test_public_status_labels():
    assert [public_status_label(s) for s in ("new", "awaiting_info", "later_status")] == [
        "Received", "Waiting for information from you", "In progress",
    ]


def test_public_status_labels_in_chinese():
    with translation.override("zh-hans"):
        assert public_status_label("new") == "已受理"


@pytest.mark.django_db
def test_history_shows_our_replies_but_never_internal_notes(make_case, make_user):
    from kesu.cases.actions_messages import NewMessage, do_add_message
    from kesu.cases.actions_workflow import do_transition_case

    agent = make_user("intake_agent")
    case = make_case(actor=agent)
    do_transition_case(case, "accepted", actor=agent)
    do_add_message(case, NewMessage(kind="note", direction="internal", body="顾客情绪激动，注意措辞",
                                    visible_to_customer=False), actor=agent)
    do_add_message(case, NewMessage(kind="reply", direction="outbound", body="您好，我们已安排为您换货。",
                                    visible_to_customer=True), actor=agent)
    history = public_history(case)
    texts = [e.text for e in history]
    assert texts[:2] == ["Your case was received.", "Status: In progress"]
    assert "您好，我们已安排为您换货。" in texts and [e.reply for e in history].count(True) == 1
    assert not any("注意措辞" in t for t in texts)
