"""Case pages: list (filters, search, scope, sort, pages, query count), detail, classify,
attachments, and intake (create, idempotent double submit, errors keep input, 403)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesu.cases.actions import Classification, do_add_attachment, do_classify_case
from kesu.cases.attachments import check_upload
from kesu.cases.models import Attachment, Case, CaseEvent
from kesu.core.models import AuditEvent
from kesu.customers.actions import CustomerInput
from kesu.customers.models import Customer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def numbers_in(html: str) -> list[str]:
    """Case numbers in the desktop table, in order."""
    if 'data-testid="case-table"' not in html:
        return []
    table = html.split('data-testid="case-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'class="case-number" href="/cases/(KS-\d{6}-\d{5})/"', table)


def same_page(a: str, b: str, path_a: str, path_b: str) -> bool:
    """Equal but for the CSRF tokens and the page's own address (in the language switch)."""
    def norm(html: str, path: str) -> str:
        html = re.sub(r'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", html)
        return html.replace(path, "PATH")
    return norm(a, path_a) == norm(b, path_b)


# --- list -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_search_finds_a_substring_of_the_description(make_user, make_case, console):
    hit = make_case(description="产品发霉了")
    make_case(description="快递太慢", title="快递慢")
    html = console(make_user("cs_supervisor")).get("/cases/", {"q": "发霉"}).content.decode()
    assert numbers_in(html) == [hit.number]
    assert "1 case" in html


@pytest.mark.django_db
def test_store_user_does_not_see_another_stores_cases(make_user, make_case, console):
    own = make_case(unit="S-E1", title="本店")
    other = make_case(unit="S-E2", title="别的店")
    html = console(make_user("handler", unit="S-E1")).get("/cases/").content.decode()
    assert numbers_in(html) == [own.number]
    assert other.number not in html
    region = console(make_user("handler", unit="EAST")).get("/cases/").content.decode()
    assert set(numbers_in(region)) == {own.number, other.number}


@pytest.mark.django_db
def test_filters_status_kind_channel_unit(make_user, make_case, console):
    complaint = make_case(unit="S-E1")
    praise = make_case(unit="S-S1", kind="praise", channel="walk_in", demands=[])
    awaiting = make_case(unit="S-E1", customer=CustomerInput(name="李四"))
    client = console(make_user("cs_supervisor"))
    assert awaiting.status == "awaiting_info" and complaint.status == "new"

    def listed(**params: str) -> list[str]:
        return numbers_in(client.get("/cases/", params).content.decode())

    assert listed(kind="praise") == [praise.number]
    assert listed(channel="walk_in") == [praise.number]
    assert listed(status="awaiting_info") == [awaiting.number]
    assert set(listed(org_unit="EAST")) == {complaint.number, awaiting.number}
    assert listed(org_unit="S-S1", kind="complaint") == []


@pytest.mark.django_db
def test_org_unit_filter_offers_only_visible_units(make_user, console):
    html = console(make_user("handler", unit="EAST")).get("/cases/").content.decode()
    select = html.split('name="org_unit"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'value="([^"]*)"', select) == ["", "EAST", "S-E1", "S-E2"]


@pytest.mark.django_db
def test_date_range_uses_the_users_local_days(make_user, make_case, console):
    late = make_case(received_at=datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI))
    make_case(received_at=datetime(2026, 3, 2, 0, 30, tzinfo=SHANGHAI))
    make_case(received_at=datetime(2026, 2, 28, 23, 59, tzinfo=SHANGHAI))
    client = console(make_user("cs_supervisor"))
    day = {"received_from": "2026-03-01", "received_to": "2026-03-01"}
    html = client.get("/cases/", day).content.decode()
    assert numbers_in(html) == [late.number]
    assert "2026-03-01 23:30" in html  # shown in the user's zone, not UTC


@pytest.mark.django_db
def test_invalid_filter_is_ignored_not_an_error(make_user, make_case, console):
    make_case()
    r = console(make_user("cs_supervisor")).get("/cases/", {"kind": "rant", "received_from": "yesterday"})
    assert r.status_code == 200
    assert len(numbers_in(r.content.decode())) == 1
    assert b"Some filters were not understood" in r.content


@pytest.mark.django_db
def test_sort_by_number_and_status(make_user, make_case, console):
    base = datetime(2026, 5, 10, 9, 0, tzinfo=SHANGHAI)
    first = make_case(received_at=base)
    second = make_case(received_at=base + timedelta(days=2), customer=CustomerInput())  # awaiting
    third = make_case(received_at=base + timedelta(days=1))
    client = console(make_user("cs_supervisor"))

    def order(sort: str) -> list[str]:
        return numbers_in(client.get("/cases/", {"sort": sort}).content.decode())

    assert order("") == [second.number, third.number, first.number]
    assert order("received_at") == [first.number, third.number, second.number]
    assert order("number") == [first.number, second.number, third.number]
    assert order("-number") == [third.number, second.number, first.number]
    assert order("status")[0] == second.number  # "awaiting_info" sorts before "new"
    html = client.get("/cases/", {"sort": "number", "kind": "complaint"}).content.decode()
    assert 'href="?sort=-number&amp;kind=complaint"' in html


@pytest.mark.django_db
def test_pagination_keeps_filters_and_counts(make_user, make_case, console):
    for _ in range(23):
        make_case()
    make_case(kind="praise", demands=[])
    client = console(make_user("cs_supervisor"))
    first = client.get("/cases/", {"kind": "complaint"}).content.decode()
    assert len(numbers_in(first)) == 20
    assert "23 cases" in first
    assert 'href="?kind=complaint&amp;page=2"' in first
    second = client.get("/cases/", {"kind": "complaint", "page": "2"}).content.decode()
    assert len(numbers_in(second)) == 3
    assert not set(numbers_in(first)) & set(numbers_in(second))
    assert len(numbers_in(client.get("/cases/", {"page": "99"}).content.decode())) == 4


@pytest.mark.django_db
def test_list_shows_local_time_names_and_badges(make_user, make_case, console):
    make_case(unit="S-E1", received_at=datetime(2026, 4, 1, 8, 5, tzinfo=SHANGHAI), channel="walk_in",
              classification=Classification(severity="major", priority="urgent"))
    html = console(make_user("cs_supervisor")).get("/cases/").content.decode()
    for text in ("2026-04-01 08:05", "张三", "上海南京路店", "Walk-in", "Complaint", "New", "Major", "Urgent",
                 "包装破损", 'data-testid="case-cards"'):
        assert text in html, text


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(make_user, make_case, console,
                                                  django_assert_max_num_queries):
    client = console(make_user("handler", unit="EAST"))
    make_case(unit="S-E1", classification=Classification(severity="minor"))
    search = {"q": "发霉", "sort": "number"}
    client.get("/cases/", search)  # warm the scope cache and the session
    with CaptureQueriesContext(connection) as few:
        client.get("/cases/", search)
    for i in range(25):
        make_case(unit="S-E1" if i % 2 else "S-E2",
                  classification=Classification(category="packaging", severity="major", priority="urgent"))
    with django_assert_max_num_queries(len(few)):
        r = client.get("/cases/", search)
    assert len(numbers_in(r.content.decode())) == 20
    with django_assert_max_num_queries(10):
        client.get("/cases/")


@pytest.mark.django_db
def test_a_search_past_its_count_cap_says_more_than(make_user, make_case, console, monkeypatch):
    from kesu.cases import queries

    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 2)
    for _ in range(3):
        make_case(description="产品发霉了")
    client = console(make_user("cs_supervisor"))

    searched = client.get("/cases/", {"q": "发霉"}).content.decode()
    listed = client.get("/cases/").content.decode()

    assert "More than 2 cases" in searched and numbers_in(searched)
    assert "3 cases" in listed and "More than" not in listed and len(numbers_in(listed)) == 3


# --- detail -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_detail_shows_fields_and_the_timeline(make_user, make_case, console):
    agent = make_user("intake_agent")
    case = make_case(actor=agent, emotion="angry", demands=["refund", "apology"], order_ref="JD-1001")
    do_classify_case(case, Classification(category="packaging", severity="major"), actor=agent)
    r = console(make_user("cs_supervisor")).get(f"/cases/{case.number}/")
    html = r.content.decode()
    assert r.status_code == 200
    for text in ("收到的茶叶包装破损，产品发霉了", "Angry", "Refund / claim, Apology", "JD-1001", "西湖龙井",
                 "B20260901", agent.username, "Phone", "Complaint"):
        assert text in html, text
    timeline = html.split('data-testid="timeline"', 1)[1]
    assert timeline.index("Case registered") < timeline.index("Classified")
    assert re.search(r"Category:</span>\s*<del[^>]*>—</del>.*?<ins[^>]*>Packaging</ins>", timeline, re.S)
    assert re.search(r"Severity:</span>\s*<del[^>]*>—</del>.*?<ins[^>]*>Major</ins>", timeline, re.S)


@pytest.mark.django_db
def test_detail_masks_contact_for_quality_engineer_not_for_intake(make_user, make_case, console):
    case = make_case(customer=CustomerInput(name="张三", phone="13800001111", email="zhang@example.com"))
    masked = console(make_user("quality_engineer")).get(f"/cases/{case.number}/").content.decode()
    full = console(make_user("intake_agent")).get(f"/cases/{case.number}/").content.decode()
    assert "138****1111" in masked and "13800001111" not in masked and "zhang@example.com" not in masked
    assert "z***@example.com" in masked
    assert "13800001111" in full and 'href="tel:13800001111"' in full and "zhang@example.com" in full


@pytest.mark.django_db
def test_detail_warns_about_missing_fields(make_user, make_case, console):
    case = make_case(customer=CustomerInput(name="王五"), demands=[])
    html = console(make_user("handler")).get(f"/cases/{case.number}/").content.decode()
    warning = html.split('data-testid="missing-fields"', 1)[1].split("</div>\n</div>", 1)[0]
    assert "customer phone or e-mail, demands" in warning


@pytest.mark.django_db
def test_out_of_scope_detail_is_the_same_404_as_a_missing_one(make_user, make_case, console):
    case = make_case(unit="S-S1")
    client = console(make_user("handler", unit="S-E1"))
    hidden, missing = client.get(f"/cases/{case.number}/"), client.get("/cases/KS-209901-00001/")
    assert hidden.status_code == missing.status_code == 404
    assert same_page(hidden.content.decode(), missing.content.decode(), case.number, "KS-209901-00001")


# --- attachments ------------------------------------------------------------------------

def text_file(name: str = "note.txt", body: str = "顾客来电记录") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body.encode(), content_type="text/plain")


@pytest.mark.django_db
def test_upload_and_download_an_attachment(make_user, make_case, console):
    case = make_case(unit="S-E1")
    handler = make_user("handler", unit="S-E1")
    client = console(handler)
    files = [text_file(), text_file("b.txt", "二")]
    r = client.post(f"/cases/{case.number}/attachments/", {"attachments": files})
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.number}/"
    names = Attachment.objects.filter(case=case).values_list("original_name", flat=True)
    assert list(names) == ["note.txt", "b.txt"]
    assert list(case.events.values_list("type", flat=True)) == [
        "case.created", "case.attachment_added", "case.attachment_added"]
    page = client.get(f"/cases/{case.number}/").content.decode()
    attachment = Attachment.objects.get(original_name="note.txt")
    assert f'href="/cases/{case.number}/attachments/{attachment.pk}/"' in page
    download = client.get(f"/cases/{case.number}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == "顾客来电记录".encode()
    assert download["Content-Disposition"] == 'attachment; filename="note.txt"'
    assert download["Content-Type"] == "text/plain"
    audit = AuditEvent.objects.get(type="attachment.downloaded")
    assert (audit.actor, audit.object_type, audit.object_id) == (handler, "case", case.number)
    assert audit.data == {"attachment": attachment.pk, "name": "note.txt", "sha256": attachment.sha256,
                          "size": attachment.size}


@pytest.mark.django_db
def test_attachment_download_out_of_scope_is_404(make_user, make_case, console):
    agent = make_user("handler", unit="S-S1")
    case = make_case(unit="S-S1")
    attachment = do_add_attachment(case, check_upload(text_file(), "note.txt"), actor=agent)
    assert attachment is not None
    other = make_case(unit="S-E1")
    outsider = console(make_user("handler", unit="S-E1"))
    assert outsider.get(f"/cases/{case.number}/attachments/{attachment.pk}/").status_code == 404
    # An attachment id of another case, through a case one may see, is no way round the scope.
    assert outsider.get(f"/cases/{other.number}/attachments/{attachment.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(type="attachment.downloaded").exists()  # refusals export nothing
    assert console(agent).get(f"/cases/{case.number}/attachments/{attachment.pk}/").status_code == 200
    assert AuditEvent.objects.get(type="attachment.downloaded").actor == agent


@pytest.mark.django_db
def test_bad_attachment_type_is_refused_and_nothing_is_stored(make_user, make_case, console):
    case = make_case()
    client = console(make_user("handler"))
    exe = SimpleUploadedFile("x.exe", b"MZ\x90\x00" + b"\x00" * 64)
    r = client.post(f"/cases/{case.number}/attachments/", {"attachments": [text_file(), exe]})
    assert r.status_code == 422
    assert b"is of a type that cannot be attached" in r.content
    assert Attachment.objects.count() == 0 and case.events.count() == 1


@pytest.mark.django_db
def test_executive_sees_no_attach_or_classify_form_and_cannot_post(make_user, make_case, console):
    case = make_case()
    client = console(make_user("executive"))
    html = client.get(f"/cases/{case.number}/").content.decode()
    assert 'data-testid="attach-form"' not in html and 'data-testid="classify-form"' not in html
    r = client.post(f"/cases/{case.number}/attachments/", {"attachments": [text_file()]})
    assert r.status_code == 403
    assert client.post(f"/cases/{case.number}/classify/", {"severity": "major"}).status_code == 403
    assert Attachment.objects.count() == 0 and case.events.count() == 1


# --- classification ---------------------------------------------------------------------

@pytest.mark.django_db
def test_classification_form_writes_an_event_with_old_and_new(make_user, make_case, console):
    case = make_case(classification=Classification(severity="minor"))
    engineer = make_user("quality_engineer")
    client = console(engineer)
    assert 'data-testid="classify-form"' in client.get(f"/cases/{case.number}/").content.decode()
    r = client.post(f"/cases/{case.number}/classify/", {
        "category": "product_quality", "validity": "specific", "severity": "major", "priority": ""})
    assert r.status_code == 302
    case.refresh_from_db()
    assert (case.category.code, case.validity, case.severity, case.priority) == (
        "product_quality", "specific", "major", "")
    event = CaseEvent.objects.get(case=case, type="case.classified")
    assert event.actor_id == engineer.pk
    assert event.data == {
        "old": {"category": None, "validity": "", "severity": "minor"},
        "new": {"category": "product_quality", "validity": "specific", "severity": "major"},
    }


@pytest.mark.django_db
def test_classification_with_unknown_values_changes_nothing(make_user, make_case, console):
    case = make_case()
    client = console(make_user("handler"))
    r = client.post(f"/cases/{case.number}/classify/", {"category": "nope", "severity": "huge"})
    assert r.status_code == 422
    assert b'data-testid="classify-form"' in r.content
    case.refresh_from_db()
    assert (case.category, case.severity) == (None, "") and case.events.count() == 1


@pytest.mark.django_db
def test_classify_out_of_scope_is_404_and_changes_nothing(make_user, make_case, console):
    case = make_case(unit="S-S1")
    client = console(make_user("handler", unit="S-E1"))
    r = client.post(f"/cases/{case.number}/classify/", {"severity": "major"})
    assert r.status_code == 404
    case.refresh_from_db()
    assert case.severity == "" and case.events.count() == 1


@pytest.mark.django_db
def test_classify_is_post_only(make_user, make_case, console):
    case = make_case()
    assert console(make_user("handler")).get(f"/cases/{case.number}/classify/").status_code == 405


# --- intake -----------------------------------------------------------------------------

def intake_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "submit_key": "9f0c3f0e6f0a4d2c8d6f5b1d2a3c4e5f",
        "channel": "phone", "kind": "complaint",
        "customer_phone": "139-0000-2222", "customer_name": "赵六", "customer_email": "",
        "customer_level": "vip", "customer_type": "consumer",
        "product_name": "碧螺春", "product_batch": "B2026-07", "product_quantity": "10",
        "product_defective_quantity": "2", "order_ref": "TB-778",
        "demands": ["exchange", "apology"], "emotion": "dissatisfied",
        "title": "", "description": "茶叶里有异物，要求换货并道歉",
        "org_unit": "S-E1", "category": "", "validity": "", "severity": "", "priority": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_new_case_form_defaults(make_user, console):
    html = console(make_user("intake_agent", unit="S-E1")).get("/cases/new/").content.decode()
    assert re.search(r'name="channel" id="[^"]+" value="phone" autocomplete="off" checked', html)
    assert re.search(r'<option value="S-E1" selected>', html)
    assert re.search(r'name="submit_key" value="[0-9a-f]{32}"', html)
    channel_values = re.findall(r'name="channel" id="[^"]+" value="([a-z_]+)"', html)
    assert channel_values == ["phone", "walk_in", "letter", "fax"]
    assert 'hx-get="/customers/lookup/"' in html


@pytest.mark.django_db
def test_intake_creates_the_case_with_channel_customer_and_events(make_user, console):
    agent = make_user("intake_agent", unit="S-E1")
    client = console(agent)
    attachment = text_file("call.txt", "录音摘要")
    r = client.post("/cases/new/", {**intake_form(channel="walk_in"), "attachments": [attachment]})
    assert r.status_code == 302
    case = Case.objects.get()
    assert r["Location"] == f"/cases/{case.number}/"
    assert (case.channel, case.kind, case.status, case.org_unit.code, case.intake_by) == (
        "walk_in", "complaint", "new", "S-E1", agent)
    assert (case.title, case.demands, case.emotion, case.order_ref) == (
        "茶叶里有异物，要求换货并道歉", ["exchange", "apology"], "dissatisfied", "TB-778")
    assert (case.product_name, case.product_batch, case.quantity, case.defective_quantity) == (
        "碧螺春", "B2026-07", 10, 2)
    customer = Customer.objects.get()
    assert (case.customer, customer.name, customer.phone_key, customer.level) == (
        customer, "赵六", "13900002222", "vip")
    assert list(case.events.values_list("type", flat=True)) == ["case.created", "case.attachment_added"]
    page = client.get(r["Location"])
    assert f"Case {case.number} was registered." in page.content.decode()


@pytest.mark.django_db
def test_intake_message_names_missing_fields(make_user, console):
    client = console(make_user("intake_agent"))
    data = intake_form(customer_phone="", customer_name="", demands=[], org_unit="HQ")
    r = client.post("/cases/new/", data, follow=True)
    case = Case.objects.get()
    assert case.status == "awaiting_info"
    assert (f"Case {case.number} was registered. It awaits information from the customer: "
            "customer phone or e-mail, demands.") in r.content.decode()


@pytest.mark.django_db
def test_double_submit_with_the_same_key_makes_one_case(make_user, console):
    client = console(make_user("intake_agent", unit="S-E1"))
    first = client.post("/cases/new/", intake_form())
    second = client.post("/cases/new/", intake_form(), follow=True)
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert first["Location"] == f"/cases/{case.number}/"
    assert second.redirect_chain == [(f"/cases/{case.number}/", 302)]
    assert "This form had already been sent" in second.content.decode()
    assert case.events.count() == 1


@pytest.mark.django_db
def test_same_key_with_changed_content_is_refused_with_a_fresh_key(make_user, console):
    client = console(make_user("intake_agent", unit="S-E1"))
    client.post("/cases/new/", intake_form())
    r = client.post("/cases/new/", intake_form(description="另一件事"))
    assert r.status_code == 422 and Case.objects.count() == 1
    html = r.content.decode()
    assert "另一件事" in html
    key = re.search(r'name="submit_key" value="([0-9a-f]+)"', html).group(1)
    assert key != intake_form()["submit_key"]
    assert client.post("/cases/new/", intake_form(description="另一件事", submit_key=key)).status_code == 302
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_bad_input_keeps_what_was_typed_and_writes_nothing(make_user, console):
    client = console(make_user("intake_agent", unit="S-E1"))
    r = client.post("/cases/new/", intake_form(product_quantity="2", product_defective_quantity="5",
                                               customer_email="not-an-address"))
    assert r.status_code == 422
    html = r.content.decode()
    assert "Enter a valid email address." in html
    assert 'value="139-0000-2222"' in html and 'value="碧螺春"' in html
    assert "茶叶里有异物，要求换货并道歉</textarea>" in html
    assert re.search(r'value="exchange" autocomplete="off" checked', html)
    assert re.search(r'value="vip" selected', html)
    assert Case.objects.count() == 0 and Customer.objects.count() == 0

    r = client.post("/cases/new/", intake_form(product_quantity="2", product_defective_quantity="5"))
    assert r.status_code == 422
    html = r.content.decode()
    assert "Please correct the marked fields." in html
    field = html.split('id="id_product_defective_quantity"', 1)[1].split("</div>", 2)
    assert "The defective quantity cannot exceed the quantity." in "".join(field)
    assert 'aria-invalid="true"' in html.split('name="product_defective_quantity"', 1)[1].split(">", 1)[0]
    assert 'value="赵六"' in html
    assert Case.objects.count() == 0 and Customer.objects.count() == 0 and CaseEvent.objects.count() == 0


@pytest.mark.django_db
def test_missing_description_is_shown_next_to_the_field(make_user, console):
    r = console(make_user("intake_agent")).post("/cases/new/", intake_form(description="  ", org_unit="HQ"))
    assert r.status_code == 422
    after = r.content.decode().split('name="description"', 1)[1]
    assert "This field is required." in after.split("</div>\n</div>", 1)[0] or "Please describe" in after
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_org_unit_outside_scope_is_refused(make_user, console):
    r = console(make_user("intake_agent", unit="S-E1")).post("/cases/new/", intake_form(org_unit="S-S1"))
    assert r.status_code == 422
    assert Case.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["executive", "auditor", "quality_engineer"])
def test_roles_without_create_get_403_and_no_form(make_user, console, role):
    client = console(make_user(role))
    r = client.get("/cases/new/")
    assert r.status_code == 403
    assert b'data-testid="intake-form"' not in r.content
    assert client.post("/cases/new/", intake_form(org_unit="HQ")).status_code == 403
    assert Case.objects.count() == 0 and Customer.objects.count() == 0


@pytest.mark.django_db
def test_detail_query_count_does_not_grow_with_events_or_attachments(make_user, make_case, console,
                                                                      django_assert_max_num_queries):
    agent = make_user("handler")
    case = make_case(actor=agent)
    client = console(agent)
    client.get(f"/cases/{case.number}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/cases/{case.number}/")
    for i, severity in enumerate(["minor", "major", "serious", "general"]):
        do_classify_case(case, Classification(severity=severity), actor=agent)
        do_add_attachment(case, check_upload(text_file(f"{i}.txt", f"第{i}份"), f"{i}.txt"), actor=agent)
    with django_assert_max_num_queries(len(few)):
        r = client.get(f"/cases/{case.number}/")
    assert r.content.decode().count('class="event"') == 9
