"""``/api/v1/notifications``: the caller's own notifications only."""

from __future__ import annotations

import pytest

from kesu.notify import delivery
from kesu.notify.actions import notify
from kesu.notify.choices import Event
from kesu.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_list_and_mark_read(person, make_case, api_client):
    li, wang = person("li", language="en"), person("wang")
    case = make_case()
    notify(Event.CASE_CRISIS, case=case, recipients=[li, wang], context={"reason": "媒体曝光"})
    notify(Event.CASE_CREATED, case=make_case(), recipients=[li], context={})
    delivery.deliver_due()
    client = api_client(li)
    r = client.get("/api/v1/notifications")
    assert r.status_code == 200
    data = r.json()
    assert (data["count"], data["unread"]) == (2, 2)
    crisis = next(i for i in data["items"] if i["event"] == "case.crisis")
    assert crisis["case"] == case.number and crisis["read_at"] is None
    assert crisis["subject"] == f"[Crisis] Case {case.number}: 包装破损"
    assert "Reason: 媒体曝光" in crisis["body"]

    r = client.post(f"/api/v1/notifications/{crisis['id']}/read", {})
    assert r.status_code == 200 and r.json()["read_at"] is not None
    unread = client.get("/api/v1/notifications", {"unread": "true"}).json()
    assert (unread["count"], unread["unread"]) == (1, 1)
    assert unread["items"][0]["event"] == "case.created"

    theirs = Notification.objects.get(user=wang)
    r = client.post(f"/api/v1/notifications/{theirs.pk}/read", {})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_requires_authentication(db):
    from django.test import Client

    assert Client().get("/api/v1/notifications").status_code == 401
