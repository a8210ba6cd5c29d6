"""The public portal: submit, receipt, track, tracking page, rate limits (IN-1 b, IN-6, IN-7, SE-4)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from kesu.cases import events
from kesu.cases.actions import Classification, do_classify_case
from kesu.cases.models import Attachment, Case, CaseEvent, IdempotencyKey
from kesu.conftest import english_client
from kesu.customers.actions import CustomerInput
from kesu.customers.models import Customer
from kesu.portal.views import rate_limited

SH = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
KEY = "6f1c2a0e-3b7d-4c55-9a8e-2f0d4b1e7c91"

FORM: dict[str, Any] = {
    "kind": "complaint",
    "store": "S-E1",
    "description": "买的龙井茶叶发霉了，\n包装也是破的。",
    "demands": ["exchange", "apology"],
    "product_name": "西湖龙井",
    "product_batch": "B20260901",
    "delivered_on": "2026-09-01",
    "order_ref": "JD-778899",
    "name": "李女士",
    "phone": "139-0000-2222",
    "email": "li@example.com",
    "submit_key": KEY,
}


@pytest.fixture
def web(org: Any) -> Client:
    cache.clear()
    return english_client()


def without_csrf(body: bytes) -> str:
    text = body.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", text)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", text)


def counts() -> tuple[int, int, int, int, int]:
    return (Case.objects.count(), Customer.objects.count(), CaseEvent.objects.count(),
            IdempotencyKey.objects.count(), Attachment.objects.count())


def portal_case(make_case: Any, **overrides: Any) -> Case:
    fields: dict[str, Any] = {"channel": "portal", "received_at": datetime(2026, 9, 30, 16, 0, tzinfo=SH)}
    fields.update(overrides)
    return make_case(**fields)


# --- submit ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_submit_page_defaults_to_head_office_with_a_fresh_key(web):
    r = web.get("/portal/")
    assert r.status_code == 200
    body = r.content.decode()
    assert '<option value="HQ" selected>' in body
    assert '<option value="S-E1">' in body
    key = re.search(r'name="submit_key" value="([0-9a-f-]{36})"', body)
    assert key is not None
    assert key.group(1) != re.search(r'name="submit_key" value="([0-9a-f-]{36})"',
                                     web.get("/portal/").content.decode()).group(1)
    assert "kesu Customer Service" in body
    assert 'data-testid="language-switch"' in body
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in body
    assert "navbar" not in body


@pytest.mark.django_db
def test_submit_creates_a_portal_case_with_customer_attachment_and_events(web):
    photo = SimpleUploadedFile("霉斑.png", PNG, content_type="image/png")
    r = web.post("/portal/", {**FORM, "attachments": [photo]})
    case = Case.objects.get()
    assert r.status_code == 302
    assert r["Location"] == f"/portal/t/{case.tracking_token}/receipt/"
    assert (case.channel, case.kind, case.status) == ("portal", "complaint", "new")
    assert case.org_unit.code == "S-E1"
    assert case.intake_by is None
    assert case.description == FORM["description"]
    assert case.title == "买的龙井茶叶发霉了，"
    assert case.demands == ["exchange", "apology"]
    assert (case.product_name, case.product_batch, case.order_ref) == ("西湖龙井", "B20260901", "JD-778899")
    assert case.delivered_on.isoformat() == "2026-09-01"
    assert case.customer_name == "李女士"
    assert (case.customer.phone_key, case.customer.email) == ("13900002222", "li@example.com")
    assert list(case.events.values_list("type", "actor")) == [
        ("case.created", None), ("case.attachment_added", None),
    ]
    attachment = case.attachments.get()
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "霉斑.png", "image/png", 72)
    assert IdempotencyKey.objects.get().key == KEY


@pytest.mark.django_db
def test_anonymous_submit_makes_a_case_without_customer_and_says_link_only(web):
    r = web.post("/portal/", {"kind": "suggestion", "store": "HQ", "description": "希望周末延长营业时间",
                              "submit_key": KEY})
    case = Case.objects.get()
    assert (case.customer, case.customer_name, case.status, case.kind) == (None, "", "new", "suggestion")
    assert Customer.objects.count() == 0
    receipt = web.get(r["Location"]).content.decode()
    assert 'data-testid="link-only"' in receipt
    assert "this link is the only way to follow your case" in receipt
    assert 'data-testid="track-by-phone"' not in receipt


@pytest.mark.django_db
def test_the_form_warns_that_anonymous_customers_follow_by_link_only(web):
    body = web.get("/portal/").content.decode()
    assert "you can then follow your case only with the link on your receipt" in body


@pytest.mark.django_db
def test_same_submit_key_twice_makes_one_case_and_lands_on_the_same_receipt(web):
    first = web.post("/portal/", {**FORM, "attachments": [SimpleUploadedFile("a.png", PNG)]})
    again = web.post("/portal/", {**FORM, "attachments": [SimpleUploadedFile("a.png", PNG)]})
    assert (first.status_code, again.status_code) == (302, 302)
    assert first["Location"] == again["Location"]
    assert counts() == (1, 1, 2, 1, 1)
    assert web.get(again["Location"]).status_code == 200


@pytest.mark.django_db
def test_a_changed_form_sent_with_a_used_key_is_not_sent_but_offered_again(web):
    web.post("/portal/", FORM)
    r = web.post("/portal/", {**FORM, "description": "补充：还有一盒也发霉了"})
    assert r.status_code == 200
    body = r.content.decode()
    assert 'data-testid="resent"' in body
    assert "补充：还有一盒也发霉了" in body
    new_key = re.search(r'name="submit_key" value="([0-9a-f-]{36})"', body).group(1)
    assert new_key != KEY
    assert Case.objects.count() == 1
    assert web.post("/portal/", {**FORM, "description": "补充：还有一盒也发霉了", "submit_key": new_key}
                    ).status_code == 302
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_bad_input_keeps_what_was_typed_and_writes_nothing(web):
    data = {**FORM, "description": "   ", "phone": "call me", "email": "not-an-address",
            "delivered_on": "2999-01-01", "attachments": [SimpleUploadedFile("a.png", PNG)]}
    r = web.post("/portal/", data)
    assert r.status_code == 200
    body = r.content.decode()
    assert counts() == (0, 0, 0, 0, 0)
    for typed in ('value="李女士"', 'value="call me"', 'value="not-an-address"', 'value="西湖龙井"',
                  'value="B20260901"', 'value="JD-778899"', 'value="2999-01-01"', f'value="{KEY}"',
                  '<option value="S-E1" selected>',
                  'value="exchange" class="form-check-input" id="id_demands_2" checked'):
        assert typed in body, typed
    assert "Please tell us what happened." in body
    assert "Please enter a valid phone number" in body
    assert "Enter a valid email address." in body
    assert "This date is in the future." in body
    assert 'data-testid="files-dropped"' in body
    assert "Please choose your files again." in body


@pytest.mark.django_db
def test_an_unknown_store_is_refused_and_the_rest_is_kept(web):
    r = web.post("/portal/", {**FORM, "store": "NOPE"})
    assert r.status_code == 200
    assert "Select a valid choice." in r.content.decode()
    assert 'data-testid="files-dropped"' not in r.content.decode()
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_an_oversize_attachment_is_refused_with_a_clear_message(web, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("整箱照片.png", PNG + b"\x00" * (1024 * 1024), content_type="image/png")
    r = web.post("/portal/", {**FORM, "attachments": [SimpleUploadedFile("ok.png", PNG), big]})
    assert r.status_code == 200
    body = r.content.decode()
    assert "The file 整箱照片.png is larger than 1 MB." in body
    assert "Please choose your files again." in body
    assert 'value="李女士"' in body
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_a_disallowed_attachment_type_is_refused(web):
    exe = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, content_type="application/pdf")
    r = web.post("/portal/", {**FORM, "attachments": [exe]})
    assert r.status_code == 200
    assert "The file invoice.pdf is of a type that cannot be attached" in r.content.decode()
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_too_many_files_are_refused(web):
    files = [SimpleUploadedFile(f"{i}.png", PNG + bytes([i])) for i in range(11)]
    r = web.post("/portal/", {**FORM, "attachments": files})
    assert "Please attach at most 10 files." in r.content.decode()
    assert counts() == (0, 0, 0, 0, 0)


# --- receipt and tracking page ---------------------------------------------------------------

@pytest.mark.django_db
def test_receipt_shows_number_times_and_how_to_track(web, make_case, settings):
    settings.PORTAL_REPLY_WORKING_DAYS = 1
    case = portal_case(make_case)
    r = web.get(f"/portal/t/{case.tracking_token}/receipt/")
    assert r.status_code == 200
    body = r.content.decode()
    assert 'data-testid="case-number">KS-202609-00001</span>' in body
    assert 'data-testid="received-at">2026-09-30 16:00 ' in body
    # The reply clock of the default SLA policy: 3 working days, across the National Day
    # holidays, ending on the make-up working Saturday.
    assert 'data-testid="promised-at">2026-10-10 16:00 ' in body
    assert f'value="http://testserver/portal/t/{case.tracking_token}/"' in body
    assert ('with the case number <span class="text-nowrap">KS-202609-00001</span> and your phone number '
            '(ending in 1111)') in body
    assert 'name="robots" content="noindex, nofollow"' in body
    assert "no-cache" in r["Cache-Control"]


@pytest.mark.django_db
def test_unknown_tokens_and_bare_case_numbers_find_nothing(web, make_case):
    case = portal_case(make_case)
    for url in (f"/portal/t/{case.number}/", f"/portal/t/{case.number}/receipt/",
                f"/portal/t/{case.tracking_token[:-1]}/", "/portal/t/x/receipt/"):
        r = web.get(url)
        assert r.status_code == 404, url
        assert case.description not in r.content.decode()
        assert "We could not find this case. Please check the link." in r.content.decode()


@pytest.mark.django_db
def test_tracking_page_shows_the_customers_view_only(web, make_case, make_user):
    agent = make_user("intake_agent")
    agent.display_name = "王受理"
    agent.save(update_fields=["display_name"])
    supervisor = make_user("cs_supervisor")
    case = portal_case(make_case, actor=agent, channel="phone")
    do_classify_case(case, Classification(category="packaging", severity="major", priority="urgent"),
                     actor=supervisor)
    with transaction.atomic():
        events.append(case, events.EventType.STATUS_CHANGED, actor=supervisor,
                      data={"old": {"status": "new"}, "new": {"status": "awaiting_info"}, "note": "内部备注"})
    other = portal_case(make_case, customer=CustomerInput(name="赵六", phone="13711112222"),
                        description="别人的投诉内容")
    r = web.get(f"/portal/t/{case.tracking_token}/")
    assert r.status_code == 200
    body = r.content.decode()
    assert case.description in body
    assert 'data-testid="status">Received</span>' in body
    assert "Your case was received." in body
    assert "Status: Waiting for information from you" in body
    assert 'data-testid="promised-at"' in body
    for secret in (agent.username, "王受理", supervisor.username, "内部备注", "Packaging",
                   "major", "urgent", "13800001111", "张三", other.number, "赵六", "别人的投诉内容"):
        assert secret not in body, secret


# --- track by number and phone -----------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("number", "phone"), [
    ("KS-202609-00001", "13800001111"),
    (" ks-202609-00001 ", "+86 138-0000-1111"),
    ("KS-202609-00001", "１３８００００１１１１"),
])
def test_track_with_the_right_pair_opens_the_case(web, make_case, number, phone):
    case = portal_case(make_case)
    r = web.post("/portal/track/", {"number": number, "phone": phone})
    assert r.status_code == 302
    assert r["Location"] == f"/portal/t/{case.tracking_token}/"


@pytest.mark.django_db
def test_wrong_pair_and_missing_case_answer_identically(web, make_case):
    attempt = {"number": "KS-202609-00001", "phone": "13900009999"}
    missing = web.post("/portal/track/", attempt)
    portal_case(make_case)  # now KS-202609-00001 exists, with phone 13800001111
    wrong_phone = web.post("/portal/track/", attempt)
    assert missing.status_code == wrong_phone.status_code == 200
    assert without_csrf(missing.content) == without_csrf(wrong_phone.content)
    assert "No case matches this case number and phone number." in wrong_phone.content.decode()
    assert 'value="KS-202609-00001"' in wrong_phone.content.decode()


@pytest.mark.django_db
def test_a_case_without_phone_cannot_be_found_by_number(web, make_case):
    case = portal_case(make_case, customer=CustomerInput(email="a@example.com"))
    assert case.customer.phone_key == ""
    for phone in ("", "0000000"):
        r = web.post("/portal/track/", {"number": case.number, "phone": phone})
        assert r.status_code == 200
        assert case.tracking_token not in r.content.decode()


@pytest.mark.django_db
def test_track_is_rate_limited_per_address_counting_every_post(web, make_case, settings):
    settings.PORTAL_TRACK_RATE = "3/d"
    case = portal_case(make_case)
    attempts = [{"number": f"KS-202609-0000{i}", "phone": "13800001111"} for i in (1, 2, 3, 4)]
    statuses = [web.post("/portal/track/", attempt).status_code for attempt in attempts]
    assert statuses == [302, 200, 200, 429]
    blocked = web.post("/portal/track/", {"number": case.number, "phone": "13800001111"})
    assert blocked.status_code == 429
    assert "Too many attempts from your network. Please wait a while and try again." in (
        blocked.content.decode())
    assert web.get("/portal/track/").status_code == 200
    other = english_client(REMOTE_ADDR="10.0.0.2")
    assert other.post("/portal/track/", {"number": case.number, "phone": "13800001111"}).status_code == 302


@pytest.mark.django_db
def test_submit_is_rate_limited_per_address(web, settings):
    settings.PORTAL_SUBMIT_RATE = "2/d"
    assert web.post("/portal/", {**FORM, "description": ""}).status_code == 200
    assert web.post("/portal/", FORM).status_code == 302
    r = web.post("/portal/", {**FORM, "submit_key": "0b6e6b8e-1d0a-4a53-8f5e-7a3c5f1d2e40"})
    assert r.status_code == 429
    assert Case.objects.count() == 1
    assert web.get("/portal/").status_code == 200


@pytest.mark.django_db
def test_rate_limited_view_answers_429_page_or_api_error(rf):
    page = rate_limited(rf.get("/portal/track/"), None)
    assert page.status_code == 429
    assert b"kesu Customer Service" in page.content
    api = rate_limited(rf.get("/api/v1/cases"), None)
    assert (api.status_code, api["Content-Type"]) == (429, "application/json")
