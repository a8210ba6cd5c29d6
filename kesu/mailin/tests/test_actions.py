import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from kesu.cases.models import Attachment, Case, CaseEvent
from kesu.core.errors import ValidationFailed
from kesu.core.models import AuditEvent
from kesu.customers.actions import CustomerInput
from kesu.mailin.actions import NewMailbox, do_create_mailbox, do_ingest_email
from kesu.mailin.models import IngestedMessage, Mailbox
from kesu.mailin.parse import parse_message
from kesu.mailin.tests.mails import PDF, PNG, gbk_mail, mail


@pytest.fixture
def mailbox(org):
    return do_create_mailbox(NewMailbox(name="service", org_unit="S-E1", address="kefu@shop.example.cn"),
                             actor=None)


def test_new_case_from_mail_with_attachments(mailbox):
    raw = mail(attachments=[("现场照片.png", "image/png", PNG), ("发票.pdf", "application/pdf", PDF)])
    result = do_ingest_email(raw, mailbox="service")

    assert (result.outcome, result.duplicate) == ("new_case", False)
    case = Case.objects.select_related("customer", "org_unit").get(pk=result.case.pk)
    assert case.channel == "email"
    assert case.kind == "complaint"
    assert case.title == "茶叶发霉了"
    assert case.description == "我在南京路店买的龙井打开就发霉了，请尽快处理。"
    assert case.org_unit.code == "S-E1"
    assert case.customer_name == "李四"
    assert (case.customer.name, case.customer.email) == ("李四", "lisi@example.cn")
    files = {a.original_name: a for a in Attachment.objects.filter(case=case)}
    assert set(files) == {"现场照片.png", "发票.pdf"}
    assert files["发票.pdf"].sha256 == hashlib.sha256(PDF).hexdigest()
    assert files["现场照片.png"].content_type == "image/png"
    with files["发票.pdf"].file.open("rb") as f:
        assert f.read() == PDF
    record = IngestedMessage.objects.get()
    assert (record.case_id, record.outcome, record.mailbox) == (case.pk, "new_case", "service")
    assert record.message_id == parse_message(raw).message_id
    assert record.sender == "lisi@example.cn"
    assert list(CaseEvent.objects.filter(case=case).values_list("type", flat=True)) == [
        "case.created", "case.attachment_added", "case.attachment_added"]


def test_gbk_mail_becomes_case_with_decoded_subject_and_file(mailbox):
    result = do_ingest_email(gbk_mail(), mailbox="service")
    case = result.case
    assert case.title == "投诉：镕铁锅生锈"
    assert case.description == "锅用了两天就生锈了。\n请退款。"
    assert case.customer_name == "王五"
    assert [a.original_name for a in case.attachments.all()] == ["发票.pdf"]


def test_rejected_attachment_is_reported_not_fatal(mailbox):
    raw = mail(attachments=[("setup.exe", "application/octet-stream", b"MZ\x90\x00binary"),
                            ("照片.png", "image/png", PNG)])
    result = do_ingest_email(raw, mailbox="service")
    assert result.outcome == "new_case"
    assert [a.original_name for a in result.case.attachments.all()] == ["照片.png"]
    assert [(r["name"], r["code"]) for r in result.rejected_attachments] == [("setup.exe", "attachment_type")]
    record = IngestedMessage.objects.get()
    assert record.rejected_attachments == result.rejected_attachments
    event = CaseEvent.objects.get(case=result.case, type="mailin.attachment_rejected")
    assert event.data["new"]["name"] == "setup.exe"


def test_duplicate_ingest_changes_nothing(mailbox):
    raw = mail(attachments=[("照片.png", "image/png", PNG)])
    first = do_ingest_email(raw, mailbox="service")
    counts = (Case.objects.count(), CaseEvent.objects.count(), Attachment.objects.count(),
              IngestedMessage.objects.count())
    again = do_ingest_email(raw, mailbox="service")
    assert (again.duplicate, again.outcome, again.case.pk) == (True, "new_case", first.case.pk)
    assert (Case.objects.count(), CaseEvent.objects.count(), Attachment.objects.count(),
            IngestedMessage.objects.count()) == counts == (1, 2, 1, 1)


def test_same_message_to_a_second_mailbox_is_a_duplicate(mailbox, org):
    do_create_mailbox(NewMailbox(name="sales", org_unit="S-S1"), actor=None)
    raw = mail()
    first = do_ingest_email(raw, mailbox="service")
    again = do_ingest_email(raw, mailbox="sales")
    assert again.duplicate and again.case.pk == first.case.pk
    assert Case.objects.count() == 1


def test_message_without_message_id_is_idempotent_by_content(mailbox):
    raw = mail(message_id=None)
    first = do_ingest_email(raw, mailbox="service")
    assert first.record.message_id.startswith("sha256:")
    assert do_ingest_email(raw, mailbox="service").duplicate
    assert Case.objects.count() == 1


@pytest.mark.parametrize("headers,sender,reason", [
    ({"Auto-Submitted": "auto-replied"}, "李四 <lisi@example.cn>", "auto-submitted"),
    ({"X-Autoreply": "yes"}, "李四 <lisi@example.cn>", "autoreply"),
    ({"Precedence": "bulk"}, "李四 <lisi@example.cn>", "precedence"),
    ({}, "Mail Delivery System <MAILER-DAEMON@mx.example.cn>", "mailer-daemon"),
    ({}, "客服 <kefu@shop.example.cn>", "own-address"),
])
def test_automatic_mail_is_ignored_and_recorded(mailbox, headers, sender, reason):
    result = do_ingest_email(mail(headers=headers, sender=sender), mailbox="service")
    assert (result.outcome, result.case) == ("ignored", None)
    assert Case.objects.count() == 0
    record = IngestedMessage.objects.get()
    assert (record.outcome, record.reason, record.case_id) == ("ignored", reason, None)


def test_unparseable_input_raises_and_records_nothing(mailbox):
    with pytest.raises(ValidationFailed) as err:
        do_ingest_email(b"\x00\x01\x02 not a mail", mailbox="service")
    assert err.value.code == "unparseable_email"
    assert IngestedMessage.objects.count() == 0 and Case.objects.count() == 0


def test_unknown_mailbox_is_refused(org):
    with pytest.raises(ValidationFailed) as err:
        do_ingest_email(mail(), mailbox="nope")
    assert err.value.code == "unknown_mailbox"
    assert IngestedMessage.objects.count() == 0


def test_default_mailbox_without_configuration_uses_the_root_unit(org):
    result = do_ingest_email(mail())
    assert result.case.org_unit.code == "HQ"
    assert result.record.mailbox == "default"


def test_mail_without_text_gets_a_description(mailbox):
    result = do_ingest_email(mail(subject="", body=""), mailbox="service")
    assert result.case.description != ""
    assert result.case.status in ("new", "awaiting_info")


def test_future_received_at_is_clamped(mailbox):
    future = timezone.now() + timedelta(days=2)
    result = do_ingest_email(mail(), mailbox="service", received_at=future)
    assert result.case.received_at <= timezone.now()


def test_unknown_case_number_in_subject_makes_a_new_case(mailbox):
    result = do_ingest_email(mail(subject="回复：[KS-209901-00001] 进展？"), mailbox="service")
    assert result.outcome == "new_case"
    assert "KS-209901-00001" in result.case.description
    assert result.record.reason == "unknown:KS-209901-00001"


def _case_of(make_case, email="lisi@example.cn"):
    return make_case(unit="S-E1", channel="email",
                     customer=CustomerInput(name="李四", phone="13800002222", email=email))


def test_reply_by_subject_number_from_the_customer(mailbox, make_case):
    from kesu.cases.models import CaseMessage

    case = _case_of(make_case)
    body = "换货已收到，谢谢。\n\n在 2026年11月2日 10:00，客服 <kefu@shop.example.cn> 写道：\n> 已为您补发"
    raw = mail(subject=f"回复：[{case.number}] 包装破损", body=body, sender="李四 <LiSi@Example.cn>",
               attachments=[("收货照片.png", "image/png", PNG)])
    result = do_ingest_email(raw, mailbox="service")

    assert (result.outcome, result.case.pk) == ("reply", case.pk)
    assert Case.objects.count() == 1
    message = CaseMessage.objects.get(case=case)
    assert (message.kind, message.direction, message.visible_to_customer) == ("email", "inbound", True)
    assert message.body == "换货已收到，谢谢。"
    assert message.contact == "LiSi@Example.cn"
    assert message.external_id == parse_message(raw).message_id
    assert [a.original_name for a in Attachment.objects.filter(case=case)] == ["收货照片.png"]
    record = IngestedMessage.objects.get()
    assert (record.case_id, record.case_message_id, record.outcome) == (case.pk, message.pk, "reply")
    assert do_ingest_email(raw, mailbox="service").duplicate
    assert CaseMessage.objects.filter(case=case).count() == 1


def test_reply_from_a_stranger_becomes_a_new_case_naming_the_number(mailbox, make_case):
    from kesu.cases.models import CaseMessage

    case = _case_of(make_case)
    raw = mail(subject=f"Re: {case.number}", body="我也有同样的问题", sender="someone@else.cn")
    result = do_ingest_email(raw, mailbox="service")
    assert result.outcome == "new_case"
    assert result.case.pk != case.pk
    assert case.number in result.case.description
    assert result.record.reason == f"sender:{case.number}"
    assert CaseMessage.objects.filter(case=case).count() == 0


def test_reply_threaded_by_in_reply_to_without_number(mailbox):
    from kesu.cases.models import CaseMessage

    first = do_ingest_email(mail(message_id="<m1@example.cn>"), mailbox="service")
    follow = mail(subject="Re: 茶叶发霉了", body="补充：批次 B9", message_id="<m2@example.cn>",
                  headers={"In-Reply-To": "<m1@example.cn>", "References": "<m1@example.cn>"})
    result = do_ingest_email(follow, mailbox="service")
    assert (result.outcome, result.case.pk) == ("reply", first.case.pk)
    assert CaseMessage.objects.get(case=first.case).body == "补充：批次 B9"


def test_create_mailbox_validates_and_audits(org):
    with pytest.raises(ValidationFailed) as err:
        do_create_mailbox(NewMailbox(name="bad name", org_unit="NOPE", host="imap.x.cn"), actor=None)
    assert set(err.value.fields) == {"name", "org_unit", "username"}
    assert Mailbox.objects.count() == 0
    box = do_create_mailbox(NewMailbox(name="kefu", org_unit="HQ", host="imap.x.cn", username="u",
                                       password="secret-pw"), actor=None)
    event = AuditEvent.objects.get(type="mailin.mailbox_created")
    assert event.object_id == str(box.pk)
    assert "secret-pw" not in str(event.data)
    with pytest.raises(ValidationFailed):
        do_create_mailbox(NewMailbox(name="kefu", org_unit="HQ"), actor=None)


def test_update_mailbox_changes_fields_and_audits_without_the_password(org):
    from dataclasses import replace

    from kesu.mailin.actions import do_update_mailbox, mailbox_data

    box = do_create_mailbox(NewMailbox(name="kefu", org_unit="HQ", host="imap.x.cn", username="u",
                                       password="old-secret"), actor=None)
    Mailbox.objects.filter(pk=box.pk).update(last_error="connect: refused")
    box.refresh_from_db()
    updated = do_update_mailbox(box, replace(mailbox_data(box), password="new-secret", org_unit="EAST",
                                             is_active=False), actor=None)
    stored = Mailbox.objects.select_related("default_org_unit").get(pk=box.pk)
    assert (stored.password, stored.default_org_unit.code, stored.is_active, stored.last_error) == (
        "new-secret", "EAST", False, "")
    assert updated.pk == box.pk
    event = AuditEvent.objects.get(type="mailin.mailbox_updated")
    assert event.data == {"old": {"default_org_unit": "HQ", "is_active": True},
                          "new": {"default_org_unit": "EAST", "is_active": False, "password_changed": True}}
    assert "secret" not in str(list(AuditEvent.objects.values_list("data", flat=True)))
    # No change, no audit row.
    do_update_mailbox(stored, mailbox_data(stored), actor=None)
    assert AuditEvent.objects.filter(type="mailin.mailbox_updated").count() == 1
    with pytest.raises(ValidationFailed) as err:
        do_update_mailbox(stored, replace(mailbox_data(stored), port=0, org_unit="NOPE"), actor=None)
    assert set(err.value.fields) == {"port", "org_unit"}
    assert Mailbox.objects.get(pk=box.pk).port == 993
