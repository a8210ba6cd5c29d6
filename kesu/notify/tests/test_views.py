"""Pages: inbox with mark-read, settings, and the admin pages for webhooks and the outbox."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from kesu.core.models import AuditEvent
from kesu.notify import delivery
from kesu.notify.actions import EndpointInput, do_save_webhook_endpoint, notify
from kesu.notify.choices import Event
from kesu.notify.models import Notification, Outbox, Preference, WebhookEndpoint
from kesu.notify.testing import closed_port

pytestmark = pytest.mark.django_db


def _deliver_to(user, case, event=Event.CASE_ESCALATED, **context):
    notify(event, case=case, recipients=[user], context=context)
    delivery.deliver_due()


def test_inbox_lists_own_notifications_and_marks_read(person, make_case, console):
    li, wang = person("li", language="en"), person("wang")
    case = make_case()
    _deliver_to(li, case, level="区域经理")
    _deliver_to(wang, case)
    client = console(li)
    page = client.get("/notifications/").content.decode()
    assert 'data-testid="unread-count">1 unread<' in page
    assert f"Case {case.number} was escalated to 区域经理" in page
    assert page.count('data-testid="notification"') == 1
    note = Notification.objects.get(user=li)
    other = Notification.objects.get(user=wang)
    r = client.post(f"/notifications/{note.pk}/read/", {"open": "1"})
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.number}/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert client.post(f"/notifications/{other.pk}/read/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None
    assert client.get("/notifications/read/").status_code in (404, 405)


def test_mark_all_read_and_unread_filter(person, make_case, console):
    li = person("li", language="en")
    for _ in range(3):
        _deliver_to(li, make_case())
    client = console(li)
    assert client.get("/notifications/?unread=1").content.decode().count('data-testid="notification"') == 3
    r = client.post("/notifications/read-all/", follow=True)
    assert "3 notification(s) marked as read." in r.content.decode()
    assert Notification.objects.filter(user=li, read_at__isnull=True).count() == 0
    assert client.get("/notifications/?unread=1").content.decode().count('data-testid="notification"') == 0


def test_get_never_changes_state(person, make_case, console):
    li = person("li")
    _deliver_to(li, make_case())
    note = Notification.objects.get()
    assert console(li).get(f"/notifications/{note.pk}/read/").status_code == 405
    note.refresh_from_db()
    assert note.read_at is None


def test_settings_page_saves_choices_that_notify_then_respects(person, make_case, console):
    li = person("li", language="en")
    client = console(li)
    page = client.get("/notifications/settings/").content.decode()
    assert 'name="case.assigned:email" id="pref-case.assigned:email" value="1" checked' in page
    assert 'name="case.created:email" id="pref-case.created:email" value="1" aria' in page
    assert 'name="notify.test' not in page
    posted = {"case.assigned:in_app": "1", "case.created:email": "1"}
    r = client.post("/notifications/settings/", posted)
    assert r.status_code == 302
    assert Preference.objects.get(user=li, event="case.assigned", channel="email").enabled is False
    assert Preference.objects.get(user=li, event="case.created", channel="email").enabled is True
    assert Preference.objects.get(user=li, event="sla.breached", channel="in_app").enabled is False
    notify(Event.SLA_BREACHED, case=make_case(), recipients=[li], context={})
    notify(Event.CASE_CREATED, case=make_case(), recipients=[li], context={})
    assert sorted(Outbox.objects.values_list("event", "channel")) == [("case.created", "email")]


def test_admin_pages_are_refused_to_other_roles(person, console):
    client = console(person("sup", role="cs_supervisor"))
    for url in ["/notifications/webhooks/", "/notifications/webhooks/new/", "/notifications/outbox/"]:
        assert client.get(url).status_code == 403
    r = client.post("/notifications/webhooks/new/", {"name": "x", "kind": "generic", "url": "http://127.0.0.1/"})
    assert r.status_code == 403 and WebhookEndpoint.objects.count() == 0


def test_admin_creates_edits_and_test_sends_a_webhook(person, console, http):
    admin = person("root", role="admin", language="en")
    client = console(admin)
    bad = client.post("/notifications/webhooks/new/", {"name": "", "kind": "generic", "url": "ftp://x"})
    assert bad.status_code == 422 and WebhookEndpoint.objects.count() == 0
    r = client.post("/notifications/webhooks/new/", {
        "name": "质量部钉钉群", "kind": "dingtalk", "url": http.url("/robot/send?access_token=t"),
        "secret": "SECx", "events": ["case.crisis", "sla.breached"], "language": "zh-hans",
        "is_active": "on"})
    assert r.status_code == 302
    hook = WebhookEndpoint.objects.get()
    assert (hook.kind, hook.secret, hook.events) == ("dingtalk", "SECx", ["case.crisis", "sla.breached"])
    assert AuditEvent.objects.filter(type="notify.webhook_saved").count() == 1
    assert "SECx" not in str(AuditEvent.objects.get(type="notify.webhook_saved").data)
    edit = client.get(f"/notifications/webhooks/{hook.pk}/").content.decode()
    assert "SECx" not in edit and "Leave empty to keep the stored secret." in edit
    client.post(f"/notifications/webhooks/{hook.pk}/", {
        "name": "质量部钉钉群", "kind": "dingtalk", "url": hook.url, "secret": "", "events": ["case.crisis"],
        "language": "zh-hans"})
    hook.refresh_from_db()
    assert (hook.secret, hook.events, hook.is_active) == ("SECx", ["case.crisis"], False)

    http.respond(200, {"errcode": 0})
    r = client.post(f"/notifications/webhooks/{hook.pk}/test/", follow=True)
    assert "The test message to 质量部钉钉群 was delivered." in r.content.decode()
    (req,) = http.requests
    assert req.json()["markdown"]["title"] == "kesu 测试消息：质量部钉钉群"
    http.respond(200, {"errcode": 310000, "errmsg": "sign not match"})
    r = client.post(f"/notifications/webhooks/{hook.pk}/test/", follow=True)
    assert "was not delivered: robot refused" in r.content.decode()


def test_outbox_page_filters_by_state_and_retries_failed(person, make_case, console, settings,
                                                         django_capture_on_commit_callbacks):
    settings.NOTIFY_MAX_ATTEMPTS = 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    admin = person("root", role="admin", language="en")
    case = make_case()
    notify(Event.CASE_ASSIGNED, case=case, recipients=[person("li")], context={})
    delivery.deliver_due()
    failed = Outbox.objects.get(channel="email")
    assert failed.state == "failed"
    client = console(admin)
    page = client.get("/notifications/outbox/?state=failed").content.decode()
    assert page.count('data-testid="outbox-row"') == 1 and "Retry now" in page and case.number in page
    sent = client.get("/notifications/outbox/?state=sent").content.decode()
    assert sent.count('data-testid="outbox-row"') == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/notifications/outbox/{failed.pk}/retry/",
                        {"next": "/notifications/outbox/?state=failed"})
    assert r.status_code == 302 and r["Location"] == "/notifications/outbox/?state=failed"
    failed.refresh_from_db()
    assert failed.state == "sent"
    assert AuditEvent.objects.filter(type="notify.retry", object_id=str(failed.pk)).count() == 1


def test_navbar_item_shows_the_unread_count(person, make_case):
    li = person("li", language="en")
    _deliver_to(li, make_case())
    _deliver_to(li, make_case())
    request = RequestFactory().get("/cases/")
    request.user = li
    html = Template("{% load notify %}{% notify_navbar_item %}").render(Context({"request": request}))
    assert 'href="/notifications/"' in html
    assert 'data-testid="nav-unread">2<' in html


def test_admin_may_not_save_unknown_events(person):
    from kesu.core.errors import ValidationFailed

    admin = person("root", role="admin")
    with pytest.raises(ValidationFailed) as exc:
        do_save_webhook_endpoint(EndpointInput(name="x", kind="generic", url="http://127.0.0.1/",
                                               events=["case.nonsense"]), actor=admin)
    assert "events" in exc.value.fields and WebhookEndpoint.objects.count() == 0


def test_every_page_renders_in_the_default_language(person, make_case, http):
    from django.test import Client

    admin = person("root", role="admin")
    hook = do_save_webhook_endpoint(EndpointInput(name="qa", kind="wecom", url=http.url(),
                                                  events=[Event.CASE_CRISIS]), actor=admin)
    notify(Event.CASE_CRISIS, case=make_case(), recipients=[person("li")], context={})
    client = Client()
    client.force_login(admin)
    for url in ["/notifications/", "/notifications/settings/", "/notifications/webhooks/",
                "/notifications/webhooks/new/", f"/notifications/webhooks/{hook.pk}/",
                "/notifications/outbox/"]:
        r = client.get(url)
        assert r.status_code == 200, url
        assert '<html lang="zh-hans"' in r.content.decode(), url
