"""Delivery against real receivers: SMTP (aiosmtpd) and HTTP servers on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from kesu.notify import delivery
from kesu.notify.actions import EndpointInput, do_retry_outbox, do_save_webhook_endpoint, notify
from kesu.notify.choices import Event
from kesu.notify.models import Notification, Outbox
from kesu.notify.testing import SmtpReceiver, closed_port, header, text_part

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(person):
    admin = person("admin1", role="admin")

    def make(url: str, kind: str = "generic", secret: str = "s3cr3t", events=(Event.CASE_CRISIS,),
             language: str = "zh-hans", active: bool = True):
        return do_save_webhook_endpoint(EndpointInput(name=f"{kind}-{url}", kind=kind, url=url, secret=secret,
                                                      events=list(events), language=language,
                                                      is_active=active), actor=admin)

    return make


def later(row: Outbox) -> timezone.datetime:
    row.refresh_from_db()
    return row.next_attempt_at + timedelta(seconds=1)


def test_email_reaches_a_real_smtp_server_in_each_readers_language(smtp, person, make_case, base_url):
    case = make_case()
    li, wang = person("li"), person("wang", language="en")
    notify(Event.CASE_ASSIGNED, case=case, recipients=[li, wang], context={})
    counts = delivery.deliver_due()
    assert counts == {"sent": 4}
    by_rcpt = {m["To"]: m for m in smtp.messages}
    assert set(by_rcpt) == {"li@example.test", "wang@example.test"}
    zh, en = by_rcpt["li@example.test"], by_rcpt["wang@example.test"]
    assert header(zh, "Subject") == f"客诉单 {case.number} 已分派给您：包装破损"
    assert header(en, "Subject") == f"Case {case.number} was assigned to you: 包装破损"
    assert zh["From"] == "kesu@example.test"
    row = Outbox.objects.get(recipient=li, channel="email")
    assert zh["X-Kesu-Delivery"] == str(row.delivery_id)
    text = text_part(zh)
    assert f"受理编号：{case.number}" in text and "收到的茶叶" not in text
    assert f"https://kesu.example.test/cases/{case.number}/" in text
    html = text_part(zh, "html")
    assert f'href="https://kesu.example.test/cases/{case.number}/"' in html
    assert 'href="https://kesu.example.test/notifications/settings/"' in html
    assert set(Outbox.objects.values_list("state", flat=True)) == {"sent"}
    assert Notification.objects.filter(user__in=[li, wang]).count() == 2


def test_smtp_down_retries_with_backoff_and_delivers_later(settings, person, make_case):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    case = make_case()
    notify(Event.SLA_BREACHED, case=case, recipients=[person("li")], context={"clock": "首次响应"})
    row = Outbox.objects.get(channel="email")
    before = timezone.now()
    assert delivery.deliver_due() == {"sent": 1, "pending": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts, row.sent_at) == ("pending", 1, None)
    assert row.last_error.startswith("SMTP: ConnectionRefusedError")
    assert row.next_attempt_at > before + timedelta(seconds=20)
    assert delivery.deliver_due() == {}  # not due yet
    with SmtpReceiver() as smtp:
        settings.EMAIL_PORT = smtp.port
        assert delivery.deliver_due(now=later(row)) == {"sent": 1}
        (message,) = smtp.messages
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, "")
    assert header(message, "Subject") == f"服务时限已超时：{case.number} 首次响应"


def test_generic_webhook_is_signed_and_carries_delivery_id(http, endpoint, make_case, base_url):
    hook = endpoint(http.url("/kesu"))
    case = make_case()
    notify(Event.CASE_CRISIS, case=case, recipients=[], context={"reason": "媒体曝光"})
    assert delivery.deliver_due() == {"sent": 1}
    (req,) = http.requests
    row = Outbox.objects.get()
    expected = "sha256=" + hmac.new(b"s3cr3t", req.body, hashlib.sha256).hexdigest()
    assert req.path == "/kesu"
    assert req.headers["x-kesu-signature"] == expected
    assert req.headers["x-kesu-event"] == "case.crisis"
    assert req.headers["x-kesu-delivery"] == str(row.delivery_id)
    data = req.json()
    assert data["case"]["number"] == case.number and data["data"] == {"reason": "媒体曝光"}
    assert data["subject"] == f"【危机】客诉单 {case.number}：包装破损"
    assert (row.state, row.endpoint_id) == ("sent", hook.pk)


def test_dingtalk_robot_gets_signed_markdown(http, endpoint, make_case):
    http.respond(200, {"errcode": 0, "errmsg": "ok"})
    endpoint(http.url("/robot/send?access_token=abc"), kind="dingtalk", secret="SECabc")
    case = make_case()
    notify(Event.CASE_CRISIS, case=case, recipients=[], context={})
    assert delivery.deliver_due() == {"sent": 1}
    (req,) = http.requests
    assert req.path == "/robot/send" and req.query["access_token"] == ["abc"]
    (ts,), (sign,) = req.query["timestamp"], req.query["sign"]
    digest = hmac.new(b"SECabc", f"{ts}\nSECabc".encode(), hashlib.sha256).digest()
    recomputed = base64.b64encode(digest).decode()
    assert sign == recomputed
    body = req.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == f"【危机】客诉单 {case.number}：包装破损"
    assert body["markdown"]["text"].startswith(f"#### 【危机】客诉单 {case.number}：包装破损\n\n")
    last = body["markdown"]["text"].split("\n\n")[-1]
    assert re.fullmatch(rf"\[[^\]]+\]\(http://127\.0\.0\.1:8000/cases/{case.number}/\)", last)


def test_robot_errcode_is_a_failure_and_is_retried(http, endpoint, make_case):
    http.respond(200, {"errcode": 310000, "errmsg": "sign not match"})
    http.respond(200, {"errcode": 0, "errmsg": "ok"})
    endpoint(http.url("/cgi-bin/webhook/send?key=k1"), kind="wecom", secret="")
    case = make_case()
    notify(Event.CASE_CRISIS, case=case, recipients=[], context={})
    row = Outbox.objects.get()
    assert delivery.deliver_due() == {"pending": 1}
    row.refresh_from_db()
    assert row.state == "pending" and "sign not match" in row.last_error
    assert delivery.deliver_due(now=later(row)) == {"sent": 1}
    first, second = http.requests
    assert first.body == second.body
    body = second.json()
    assert body["msgtype"] == "markdown" and body["markdown"]["content"].startswith("#### 【危机】")
    assert second.query == {"key": ["k1"]}


def test_http_500_then_success_keeps_the_row_and_its_delivery_id(http, endpoint, make_case):
    http.respond(500, {"error": "down"})
    endpoint(http.url())
    notify(Event.CASE_CRISIS, case=make_case(), recipients=[], context={})
    row = Outbox.objects.get()
    delivery.deliver_due()
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("pending", 1) and row.last_error.startswith("HTTP 500")
    delivery.deliver_due(now=later(row))
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 2)
    assert [r.headers["x-kesu-delivery"] for r in http.requests] == [str(row.delivery_id)] * 2


def test_closed_port_then_gives_up_after_max_attempts_and_admin_retry_sends(
        settings, endpoint, person, make_case, http, django_capture_on_commit_callbacks):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    hook = endpoint(f"http://127.0.0.1:{closed_port()}/hook")
    notify(Event.CASE_CRISIS, case=make_case(), recipients=[], context={})
    row = Outbox.objects.get()
    for expected in ("pending", "pending", "failed"):
        assert delivery.deliver_due(now=later(row)) == {expected: 1}
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("failed", 3) and "ConnectError" in row.last_error
    assert delivery.deliver_due(now=timezone.now() + timedelta(days=30)) == {}
    hook.url = http.url()
    hook.save(update_fields=["url"])
    with django_capture_on_commit_callbacks(execute=True):
        assert do_retry_outbox(row, actor=person("root", role="admin")) is True
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 1) and len(http.requests) == 1


def test_switched_off_endpoint_fails_at_once(http, endpoint, make_case):
    hook = endpoint(http.url())
    notify(Event.CASE_CRISIS, case=make_case(), recipients=[], context={})
    hook.is_active = False
    hook.save(update_fields=["is_active"])
    assert delivery.deliver_due() == {"failed": 1}
    assert http.requests == []


def test_a_sent_row_is_never_sent_again(http, endpoint, make_case):
    endpoint(http.url())
    notify(Event.CASE_CRISIS, case=make_case(), recipients=[], context={})
    row = Outbox.objects.get()
    assert delivery.deliver_ids([row.pk]) == {"sent": 1}
    assert delivery.deliver_ids([row.pk]) == {}
    assert delivery.deliver_due(now=timezone.now() + timedelta(days=1)) == {}
    assert len(http.requests) == 1


def test_claims_are_exclusive_and_leases_expire(person, make_case):
    notify(Event.CASE_ESCALATED, case=make_case(), recipients=[person("a"), person("b")], context={})
    first = delivery.claim(limit=3)
    second = delivery.claim(limit=10)
    assert len(first) == 3 and len(second) == 1
    assert not {r.pk for r in first} & {r.pk for r in second}
    assert delivery.claim(limit=10) == []
    again = delivery.claim(now=timezone.now() + delivery.LEASE + timedelta(seconds=1), limit=10)
    assert sorted(r.pk for r in again) == sorted(r.pk for r in first + second)
    # The first holder's lease ran out and the row was claimed again: its outcome is not recorded.
    stale = next(r for r in first if r.channel == "in_app")
    assert delivery.attempt(stale) == "sending"
    assert Notification.objects.count() == 0
    assert Outbox.objects.get(pk=stale.pk).state == "sending"


def test_backoff_grows_exponentially_with_bounded_jitter():
    rng = random.Random(7)
    for attempts, base in [(1, 30), (2, 60), (3, 120), (6, 960), (20, 6 * 3600)]:
        delay = delivery.backoff(attempts, rng).total_seconds()
        assert base * 0.75 <= delay <= base * 1.25


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_send_a_row_twice(http, endpoint, make_case):
    endpoint(http.url())
    case = make_case()
    for _ in range(12):
        notify(Event.CASE_CRISIS, case=case, recipients=[], context={})
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            delivery.deliver_due(batch=2)
        except BaseException as exc:  # reported below, the thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    delivered = [r.headers["x-kesu-delivery"] for r in http.requests]
    assert len(delivered) == 12 and len(set(delivered)) == 12
    assert set(Outbox.objects.values_list("state", "attempts")) == {("sent", 1)}


def test_in_app_batch_skips_users_deactivated_before_delivery(person, make_case):
    li, wang = person("li"), person("wang")
    notify(Event.CASE_STATUS_CHANGED, case=make_case(), recipients=[li, wang], context={})
    wang.is_active = False
    wang.save(update_fields=["is_active"])
    assert delivery.deliver_due() == {"sent": 1, "failed": 1}
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["li"]
    failed = Outbox.objects.get(recipient=wang)
    assert (failed.state, failed.attempts) == ("failed", 1)
    assert failed.last_error == "the recipient has no active account"
