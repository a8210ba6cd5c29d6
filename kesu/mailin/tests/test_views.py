import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kesu.conftest import english_client
from kesu.mailin.actions import NewMailbox, do_create_mailbox, do_ingest_email
from kesu.mailin.models import Mailbox
from kesu.mailin.tests.mails import mail

pytestmark = pytest.mark.urls("kesu.mailin.tests.urls")


@pytest.fixture
def admin_client(make_user):
    user = make_user(role="admin")
    client = english_client()
    client.force_login(user)
    return client


@pytest.fixture
def intake(org):
    do_create_mailbox(NewMailbox(name="kefu", org_unit="S-E1", address="kefu@shop.example.cn",
                                 host="imap.example.cn", username="kefu"), actor=None)
    Mailbox.objects.filter(name="kefu").update(last_error="connect: [Errno 111] Connection refused")
    new = do_ingest_email(mail(subject="茶叶发霉", attachments=[("x.exe", "application/octet-stream",
                                                                  b"MZ\x90\x00")]), mailbox="kefu")
    ignored = do_ingest_email(mail(subject="自动回复", headers={"Auto-Submitted": "auto-replied"}),
                              mailbox="kefu")
    return new, ignored


def test_admin_sees_mailboxes_errors_and_received_mail(admin_client, intake):
    new, _ignored = intake
    response = admin_client.get(reverse("mailin:status"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "kefu@imap.example.cn:993/INBOX" in page
    assert "connect: [Errno 111] Connection refused" in page
    assert f'href="/cases/{new.case.number}/"' in page
    assert "茶叶发霉" in page and "自动回复" in page
    assert "<code>auto-submitted</code>" in page
    assert "Attachment x.exe not kept" in page


def test_filter_by_outcome(admin_client, intake):
    response = admin_client.get(reverse("mailin:status"), {"outcome": "ignored"})
    page = response.content.decode()
    assert "自动回复" in page and "茶叶发霉" not in page


@pytest.mark.parametrize("role", ["intake_agent", "cs_supervisor", "auditor", "executive"])
def test_other_roles_are_refused(make_user, intake, role):
    client = english_client()
    client.force_login(make_user(role=role))
    response = client.get(reverse("mailin:status"))
    assert response.status_code == 403
    assert "茶叶发霉" not in response.content.decode()


def test_anonymous_is_sent_to_login(intake):
    response = Client().get(reverse("mailin:status"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_no_query_per_row(admin_client, intake):
    url = reverse("mailin:status")
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for i in range(15):
        do_ingest_email(mail(subject=f"邮件 {i}"), mailbox="kefu")
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(url).status_code == 200
    assert len(many) == len(few)
