import io
import re
from pathlib import Path
from types import SimpleNamespace

import polib
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from kombu.exceptions import OperationalError

from kesu.conftest import english_client
from kesu.core.errors import ValidationFailed
from kesu.core.models import AuditEvent
from kesu.mailin import views
from kesu.mailin.actions import NewMailbox, do_create_mailbox, do_ingest_email
from kesu.mailin.models import Mailbox
from kesu.mailin.tests.mails import mail
from kesu.org.models import OrgUnit

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


# --- configuring mailboxes in the console (IN-1) ---------------------------------------------

SECRET = "Pw-9x7-geheim"
FRAGMENT = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "fragments" / "mailin.po"
ROLES = ["intake_agent", "handler", "cs_supervisor", "auditor", "executive"]


@pytest.fixture
def zh_fragment(settings, tmp_path):
    """This app's Chinese fragment as a catalogue of its own, until the lead merges it into django.po."""
    target = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    polib.pofile(str(FRAGMENT)).save_as_mofile(str(target / "django.mo"))
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, tmp_path / "locale"]


@pytest.fixture
def queued(monkeypatch):
    """Poll tasks the views send, instead of a broker."""
    sent: list[tuple] = []
    monkeypatch.setattr(views, "poll_mailboxes", SimpleNamespace(delay=lambda *a: sent.append(a)))
    return sent


@pytest.fixture
def kefu(org):
    return do_create_mailbox(NewMailbox(name="kefu", org_unit="S-E1", address="kefu@shop.example.cn",
                                        host="imap.example.cn", username="kefu", password=SECRET), actor=None)


def form_data(**changes):
    data = {"name": "service", "org_unit": "EAST", "kind": "inquiry", "address": "service@shop.example.cn",
            "host": "imap.shop.example.cn", "security": "starttls", "port": "", "username": "service",
            "password": SECRET, "folder": "客服", "processed_folder": "已处理", "is_active": "on"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def snapshot():
    """Everything a refused request must leave as it was."""
    return (list(Mailbox.objects.order_by("pk").values()),
            list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)))


def test_admin_adds_a_mailbox_with_every_field(admin_client, org):
    page = admin_client.get(reverse("mailin:mailbox_new"))
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("name", "org_unit", "kind", "address", "host", "security", "port", "username", "password",
                 "folder", "processed_folder", "is_active"):
        assert f'name="{name}"' in html
    assert "Stored in the database and never shown again." in html
    response = admin_client.post(reverse("mailin:mailbox_new"), form_data(), follow=True)
    assert response.redirect_chain == [(reverse("mailin:status"), 302)]
    box = Mailbox.objects.select_related("default_org_unit").get(name="service")
    assert (box.default_org_unit.code, box.default_kind, box.address, box.host, box.security, box.port,
            box.username, box.password, box.folder, box.processed_folder, box.is_active) == (
        "EAST", "inquiry", "service@shop.example.cn", "imap.shop.example.cn", "starttls", 143, "service",
        SECRET, "客服", "已处理", True)
    event = AuditEvent.objects.get(type="mailin.mailbox_created")
    assert (event.object_id, event.actor.role) == (str(box.pk), "admin")
    assert event.data["new"]["default_org_unit"] == "EAST" and SECRET not in str(event.data)
    html = response.content.decode()
    assert "Mailbox service was saved." in html
    assert "service@imap.shop.example.cn:143/客服" in html
    assert SECRET not in html


def test_empty_port_and_folder_get_the_cli_defaults(admin_client, org):
    admin_client.post(reverse("mailin:mailbox_new"), form_data(security="ssl", folder="", password=""))
    box = Mailbox.objects.get(name="service")
    assert (box.port, box.folder, box.password) == (993, "INBOX", "")


def test_a_pipe_only_mailbox_needs_no_server(admin_client, org):
    response = admin_client.post(reverse("mailin:mailbox_new"), form_data(
        name="pipe", host="", username="", password="", is_active=None))
    assert response.status_code == 302
    box = Mailbox.objects.get(name="pipe")
    assert (box.host, box.polls_imap, box.is_active) == ("", False, False)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": "bad name"}, "name", "Use 1 to 60 letters, digits, dots, dashes or underscores."),
    ({"name": "kefu"}, "name", "A mailbox with this name exists already."),
    ({"username": ""}, "username", "An IMAP mailbox needs a user name."),
    ({"port": "70000"}, "port", "Ensure this value is less than or equal to 65535."),
    ({"address": "not-an-address"}, "address", "Enter a valid email address."),
    ({"org_unit": "NOPE"}, "org_unit", "Select a valid choice."),
])
def test_a_refused_post_shows_the_errors_with_422_and_writes_nothing(admin_client, kefu, changes, field,
                                                                        message):
    before = snapshot()
    response = admin_client.post(reverse("mailin:mailbox_new"), form_data(**changes))
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert f'id="id_{field}"' in html and 'aria-invalid="true"' in html
    assert SECRET not in html  # the typed password is not sent back either
    assert snapshot() == before


def test_the_edit_form_shows_the_settings_but_never_the_password(admin_client, kefu):
    response = admin_client.get(reverse("mailin:mailbox_edit", args=[kefu.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Change mailbox kefu" in html
    assert 'value="imap.example.cn"' in html and 'value="kefu@shop.example.cn"' in html
    assert 'value="993"' in html
    assert SECRET not in html
    assert 'type="password" name="password"' in html
    assert "Leave empty to keep the stored password." in html
    assert "The name cannot be changed" in html


def test_editing_with_an_empty_password_keeps_it_and_audits_the_change(admin_client, kefu):
    data = form_data(name="kefu", org_unit="S-E1", kind="complaint", address="kefu@shop.example.cn",
                     host="imap2.example.cn", security="ssl", port="993", username="kefu", password="",
                     folder="INBOX", processed_folder="")
    Mailbox.objects.filter(pk=kefu.pk).update(last_error="connect: refused")
    response = admin_client.post(reverse("mailin:mailbox_edit", args=[kefu.pk]), data)
    assert response.status_code == 302
    box = Mailbox.objects.get(pk=kefu.pk)
    assert (box.host, box.password, box.last_error) == ("imap2.example.cn", SECRET, "")
    event = AuditEvent.objects.get(type="mailin.mailbox_updated")
    assert event.data == {"old": {"host": "imap.example.cn"}, "new": {"host": "imap2.example.cn"}}
    assert event.actor is not None and event.actor.role == "admin"


def test_a_new_password_replaces_the_old_one_and_the_name_stays(admin_client, kefu):
    data = form_data(name="renamed", org_unit="S-E1", kind="complaint", address="kefu@shop.example.cn",
                     host="imap.example.cn", security="ssl", port="993", username="kefu",
                     password="new-Secret-2", folder="INBOX", processed_folder="")
    assert admin_client.post(reverse("mailin:mailbox_edit", args=[kefu.pk]), data).status_code == 302
    box = Mailbox.objects.get(pk=kefu.pk)
    assert (box.name, box.password) == ("kefu", "new-Secret-2")
    event = AuditEvent.objects.get(type="mailin.mailbox_updated")
    assert event.data == {"old": {}, "new": {"password_changed": True}}
    page = admin_client.get(reverse("mailin:mailbox_edit", args=[kefu.pk])).content.decode()
    assert "new-Secret-2" not in page


def test_a_refused_edit_changes_nothing(admin_client, kefu):
    before = snapshot()
    response = admin_client.post(reverse("mailin:mailbox_edit", args=[kefu.pk]), form_data(
        name="kefu", host="imap.example.cn", username="", password="other-pw"))
    assert response.status_code == 422
    assert "An IMAP mailbox needs a user name." in response.content.decode()
    assert "other-pw" not in response.content.decode() and SECRET not in response.content.decode()
    assert snapshot() == before


def test_editing_an_unknown_mailbox_is_404(admin_client, org):
    assert admin_client.get(reverse("mailin:mailbox_edit", args=[999])).status_code == 404


def test_the_status_page_links_the_forms_and_buttons(admin_client, kefu):
    do_create_mailbox(NewMailbox(name="pipe", org_unit="HQ"), actor=None)
    html = admin_client.get(reverse("mailin:status")).content.decode()
    assert f'href="{reverse("mailin:mailbox_new")}"' in html and "Add mailbox" in html
    assert f'href="{reverse("mailin:mailbox_edit", args=[kefu.pk])}"' in html
    assert f'action="{reverse("mailin:mailbox_poll", args=[kefu.pk])}"' in html
    pipe = Mailbox.objects.get(name="pipe")
    assert f'action="{reverse("mailin:mailbox_poll", args=[pipe.pk])}"' not in html  # nothing to poll
    assert html.count("Deactivate") == 2 and SECRET not in html


def test_deactivate_and_activate(admin_client, kefu, queued):
    url = reverse("mailin:mailbox_active", args=[kefu.pk])
    response = admin_client.post(url, {"active": "0"}, follow=True)
    assert "Mailbox kefu is switched off." in response.content.decode()
    assert Mailbox.objects.get(pk=kefu.pk).is_active is False
    html = response.content.decode()
    assert ">Activate</button>" in html
    assert f'action="{reverse("mailin:mailbox_poll", args=[kefu.pk])}"' not in html  # off: no poll button
    event = AuditEvent.objects.get(type="mailin.mailbox_updated")
    assert event.data == {"old": {"is_active": True}, "new": {"is_active": False}}
    admin_client.post(url, {"active": "0"})  # a repeat is a no-op, not a toggle
    assert Mailbox.objects.get(pk=kefu.pk).is_active is False
    assert AuditEvent.objects.filter(type="mailin.mailbox_updated").count() == 1
    assert admin_client.post(url, {}).status_code == 400  # no wanted state: no change
    assert admin_client.post(url, {"active": "yes"}).status_code == 400
    assert Mailbox.objects.get(pk=kefu.pk).is_active is False
    admin_client.post(url, {"active": "1"})
    assert Mailbox.objects.get(pk=kefu.pk).is_active is True
    assert AuditEvent.objects.filter(type="mailin.mailbox_updated").count() == 2
    assert Mailbox.objects.get(pk=kefu.pk).password == SECRET
    assert queued == []


def test_poll_now_queues_the_poll_task(admin_client, kefu, queued):
    response = admin_client.post(reverse("mailin:mailbox_poll", args=[kefu.pk]), follow=True)
    assert response.redirect_chain == [(reverse("mailin:status"), 302)]
    assert "A poll of mailbox kefu was queued." in response.content.decode()
    assert queued == [("kefu",)]


def test_poll_now_is_post_only(admin_client, kefu, queued):
    assert admin_client.get(reverse("mailin:mailbox_poll", args=[kefu.pk])).status_code == 405
    assert admin_client.get(reverse("mailin:mailbox_active", args=[kefu.pk])).status_code == 405
    assert queued == []


def test_poll_now_refuses_an_inactive_or_pipe_only_mailbox(admin_client, kefu, queued):
    pipe = do_create_mailbox(NewMailbox(name="pipe", org_unit="HQ"), actor=None)
    Mailbox.objects.filter(pk=kefu.pk).update(is_active=False)
    for box in (kefu, pipe):
        response = admin_client.post(reverse("mailin:mailbox_poll", args=[box.pk]), follow=True)
        assert f"Mailbox {box.name} is not an active IMAP mailbox." in response.content.decode()
    assert queued == []


def test_poll_now_with_the_broker_down_says_so(admin_client, kefu, monkeypatch):
    def down(*args):
        raise OperationalError("connection refused")

    monkeypatch.setattr(views, "poll_mailboxes", SimpleNamespace(delay=down))
    response = admin_client.post(reverse("mailin:mailbox_poll", args=[kefu.pk]), follow=True)
    assert "The task queue is not reachable" in response.content.decode()


def test_posts_need_the_csrf_token(make_user, kefu, queued):
    client = english_client(enforce_csrf_checks=True)
    client.force_login(make_user(role="admin"))
    before = snapshot()
    assert client.post(reverse("mailin:mailbox_active", args=[kefu.pk]), {"active": "0"}).status_code == 403
    assert client.post(reverse("mailin:mailbox_poll", args=[kefu.pk])).status_code == 403
    assert client.post(reverse("mailin:mailbox_new"), form_data()).status_code == 403
    assert snapshot() == before and queued == []


@pytest.mark.parametrize("role", ROLES)
def test_non_admins_get_403_on_every_form_and_write(make_user, kefu, queued, role):
    client = english_client()
    client.force_login(make_user(role=role))
    before = snapshot()
    edit = reverse("mailin:mailbox_edit", args=[kefu.pk])
    for response in (
        client.get(reverse("mailin:mailbox_new")),
        client.get(edit),
        client.post(reverse("mailin:mailbox_new"), form_data()),
        client.post(edit, form_data(name="kefu", host="evil.example.cn", password="stolen")),
        client.post(reverse("mailin:mailbox_active", args=[kefu.pk]), {"active": "0"}),
        client.post(reverse("mailin:mailbox_poll", args=[kefu.pk])),
    ):
        assert response.status_code == 403
        assert SECRET not in response.content.decode()
    assert snapshot() == before and queued == []


def test_anonymous_posts_go_to_login_and_change_nothing(kefu, queued):
    before = snapshot()
    response = Client().post(reverse("mailin:mailbox_active", args=[kefu.pk]), {"active": "0"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert Client().post(reverse("mailin:mailbox_poll", args=[kefu.pk])).status_code == 302
    assert snapshot() == before and queued == []


def test_the_pages_speak_chinese_by_default(make_user, kefu, zh_fragment, queued):
    client = Client()
    client.force_login(make_user(role="admin"))
    html = client.get(reverse("mailin:status")).content.decode()
    assert "添加邮箱" in html and "立即收信" in html and "停用" in html
    html = client.get(reverse("mailin:mailbox_new")).content.decode()
    assert "新建邮箱" in html and "邮箱名称" in html and "保存在数据库中，之后不再显示。" in html
    html = client.get(reverse("mailin:mailbox_edit", args=[kefu.pk])).content.decode()
    assert "修改邮箱 kefu" in html and "留空则保留已保存的密码" in html and SECRET not in html
    response = client.post(reverse("mailin:mailbox_poll", args=[kefu.pk]), follow=True)
    assert "已将邮箱 kefu 的收信任务加入队列。" in response.content.decode()
    response = client.post(reverse("mailin:mailbox_new"), form_data(name="kefu"))
    assert response.status_code == 422 and "已有同名的邮箱。" in response.content.decode()


def test_every_template_string_has_a_chinese_translation():
    catalogue = FRAGMENT.parents[1] / "LC_MESSAGES" / "django.po"
    translated = {e.msgid for e in polib.pofile(str(catalogue)) if e.msgstr and not e.fuzzy}
    translated |= {e.msgid for e in polib.pofile(str(FRAGMENT)) if e.msgstr}
    templates = Path(__file__).resolve().parents[2] / "templates" / "mailin"
    msgids = set()
    for path in templates.glob("*.html"):
        msgids |= set(re.findall(r'{% translate "([^"]+)" %}', path.read_text(encoding="utf-8")))
    assert len(msgids) > 30
    assert sorted(msgids - translated) == []


# --- the rules behind the forms (kesu.mailin.actions), shared with ``kesu mailbox`` -------------


def test_actions_refuse_a_malformed_address_and_too_long_text(org):
    with pytest.raises(ValidationFailed) as err, translation.override("en"):
        do_create_mailbox(NewMailbox(name="x", org_unit="HQ", address="no-at-sign", host="h" * 201,
                                     username="u", folder="f" * 201), actor=None)
    assert set(err.value.fields) == {"address", "host", "folder"}
    assert err.value.fields["host"] == ["At most 200 characters."]
    assert Mailbox.objects.count() == 0


def test_the_cli_refuses_a_malformed_address_too(org):
    with pytest.raises(CommandError, match="address"):
        call_command("mailbox", "add", "x", "--org-unit", "HQ", "--address", "no-at-sign",
                     stdout=io.StringIO())
    assert Mailbox.objects.count() == 0


def test_a_mailbox_of_a_closed_org_unit_shows_it_and_asks_for_another(admin_client, kefu):
    OrgUnit.objects.filter(code="S-E1").update(is_active=False)
    before = snapshot()
    url = reverse("mailin:mailbox_active", args=[kefu.pk])
    response = admin_client.post(url, {"active": "0"}, follow=True)
    assert "No org unit has this code." in response.content.decode()
    html = admin_client.get(reverse("mailin:mailbox_edit", args=[kefu.pk])).content.decode()
    assert '<option value="S-E1" selected>' in html
    assert snapshot() == before
