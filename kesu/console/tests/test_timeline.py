"""The timeline: events in order, codes as labels, old → new, contact data masked per viewer."""

from __future__ import annotations

import pytest
from django.utils import translation

from kesu.cases.actions import Classification, do_classify_case
from kesu.console.templatetags.console import optional_url
from kesu.console.timeline import Change, _changes, _Formatter, case_timeline


@pytest.mark.django_db
def test_rows_in_order_with_labels_and_changes(make_user, make_case):
    agent = make_user("intake_agent")
    case = make_case(actor=agent, unit="S-E1", emotion="angry")
    do_classify_case(case, Classification(category="packaging", priority="urgent"), actor=agent)
    with translation.override("en"):
        rows = case_timeline(case, agent)
    assert [(r.seq, r.type, r.label, r.actor) for r in rows] == [
        (1, "case.created", "Case registered", agent.username),
        (2, "case.classified", "Classified", agent.username),
    ]
    created = {c.label: c for c in rows[0].changes}
    assert created["Org unit"] == Change("Org unit", None, "上海南京路店")
    assert created["Customer's emotion"].new == "Angry"
    assert created["Customer's demands"].new == "Refund / claim"
    assert created["Product"].new == "西湖龙井"
    assert "customer_id" not in created and "Validity" not in created  # hidden and empty values
    assert rows[1].changes == [Change("Category", "—", "Packaging"), Change("Priority", "—", "Urgent")]


@pytest.mark.django_db
def test_contact_values_in_event_data_are_masked_for_masked_roles(make_user):
    data = {"old": {"customer_phone": "13800001111"}, "new": {"customer_phone": "13900002222"},
            "reason": "客户要求"}
    with translation.override("en"):
        masked = _changes(data, _Formatter(make_user("auditor"), {}, {}))
        clear = _changes(data, _Formatter(make_user("handler"), {}, {}))
    assert masked[0] == Change("customer_phone", "138****1111", "139****2222")
    assert clear[0] == Change("customer_phone", "13800001111", "13900002222")
    assert masked[1] == Change("Reason", None, "客户要求")


@pytest.mark.django_db
def test_received_at_is_shown_in_the_active_zone(make_user):
    fmt = _Formatter(make_user("handler"), {}, {})
    with translation.override("zh-hans"):
        assert fmt("received_at", "2026-09-30T08:00:00+00:00") == "2026-09-30 16:00"
        assert fmt("demands", ["refund", "apology"]).count("、") == 1


def test_optional_url_is_empty_for_pages_that_do_not_exist_yet():
    assert optional_url("console:case_list") == "/cases/"
    assert optional_url("console:no_such_page") == ""
