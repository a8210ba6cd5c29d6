"""IMAP polling against a real dovecot (see conftest.py): append, poll, check cases and flags."""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kesu.cases.models import Attachment, Case
from kesu.mailin.actions import NewMailbox, do_create_mailbox, do_ingest_email
from kesu.mailin.imap import can_move, imap_utf7, poll_mailboxes
from kesu.mailin.models import IngestedMessage, Mailbox
from kesu.mailin.tests.dovecot import free_port
from kesu.mailin.tests.mails import PNG, gbk_mail, mail


@pytest.fixture
def box(org, imap_account, imap_folder):
    return do_create_mailbox(NewMailbox(
        name="kefu", org_unit="S-E1", host=imap_account.host, port=imap_account.port, security="none",
        username=imap_account.user, password=imap_account.password, folder=imap_folder,
    ), actor=None)


def append(account, folder, *messages):
    conn = account.connect()
    for raw in messages:
        typ, data = conn.append(imap_utf7(folder), None, None, raw)
        assert typ == "OK", data
    conn.logout()


def flags(account, folder):
    """{subject-less uid: set of flags} of every message in ``folder``."""
    conn = account.connect()
    conn.select(imap_utf7(folder), readonly=True)
    _typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
    conn.logout()
    result = {}
    for line in data:
        if isinstance(line, bytes) and (m := re.search(rb"UID (\d+) FLAGS \(([^)]*)\)", line)):
            result[int(m.group(1))] = set(m.group(2).decode().split())
    return result


def test_poll_turns_unseen_mail_into_cases_and_marks_it_seen(box, imap_account, imap_folder):
    append(imap_account, imap_folder,
           mail(subject="茶叶发霉", attachments=[("照片.png", "image/png", PNG)]),
           gbk_mail(),
           mail(subject="自动回复：休假中", headers={"Auto-Submitted": "auto-replied"}))

    [report] = poll_mailboxes()

    assert (report.fetched, report.new_cases, report.ignored, report.failed) == (3, 2, 1, 0)
    assert report.errors == []
    cases = {c.title: c for c in Case.objects.all()}
    assert set(cases) == {"茶叶发霉", "投诉：镕铁锅生锈"}
    assert all(c.channel == "email" and c.org_unit.code == "S-E1" for c in cases.values())
    assert Attachment.objects.get(case=cases["茶叶发霉"]).original_name == "照片.png"
    assert sorted(report.cases) == sorted(c.number for c in cases.values())
    assert IngestedMessage.objects.filter(mailbox="kefu").count() == 3
    assert all("\\Seen" in f for f in flags(imap_account, imap_folder).values())
    assert len(flags(imap_account, imap_folder)) == 3
    box.refresh_from_db()
    assert box.last_polled_at is not None and box.last_error == ""

    [again] = poll_mailboxes()
    assert (again.fetched, again.new_cases) == (0, 0)
    assert Case.objects.count() == 2


def test_crash_between_ingest_and_seen_is_harmless(box, imap_account, imap_folder):
    raw = mail(subject="只处理一次")
    first = do_ingest_email(raw, mailbox="kefu")  # ingested, but the poller died before \\Seen
    append(imap_account, imap_folder, raw)
    [report] = poll_mailboxes("kefu")
    assert (report.fetched, report.duplicates, report.new_cases) == (1, 1, 0)
    assert list(Case.objects.values_list("pk", flat=True)) == [first.case.pk]
    assert all("\\Seen" in f for f in flags(imap_account, imap_folder).values())


@pytest.mark.parametrize("move", [True, False], ids=["uid-move", "copy-expunge"])
def test_processed_mail_moves_to_a_chinese_folder(box, imap_account, imap_folder, monkeypatch, move):
    if not move:  # a server without the MOVE extension: COPY, \Deleted, EXPUNGE
        monkeypatch.setattr("kesu.mailin.imap.can_move", lambda conn: False)
    processed = f"已处理-{imap_folder[-6:]}"
    conn = imap_account.connect()
    assert can_move(conn)  # dovecot has MOVE: the uid-move case really takes that path
    assert conn.create(imap_utf7(processed))[0] == "OK"
    conn.logout()
    Mailbox.objects.filter(pk=box.pk).update(processed_folder=processed)
    append(imap_account, imap_folder, mail(subject="一"), mail(subject="二"))
    try:
        [report] = poll_mailboxes()
        assert report.new_cases == 2
        assert flags(imap_account, imap_folder) == {}
        moved = flags(imap_account, processed)
        assert len(moved) == 2 and all("\\Seen" in f for f in moved.values())
    finally:
        conn = imap_account.connect()
        conn.delete(imap_utf7(processed))
        conn.logout()


def test_unparseable_message_is_flagged_and_others_go_on(box, imap_account, imap_folder):
    junk = b"X-Nothing: here\r\n\r\nno sender at all\r\n"
    append(imap_account, imap_folder, junk, mail(subject="正常邮件"))
    with translation.override("en"):  # the recorded reason is in the poller's language
        [report] = poll_mailboxes()
    assert (report.fetched, report.failed, report.new_cases) == (2, 1, 1)
    assert "no From header" in report.errors[0]
    assert [c.title for c in Case.objects.all()] == ["正常邮件"]
    state = flags(imap_account, imap_folder)
    assert sorted("$KesuRejected" in f for f in state.values()) == [False, True]
    assert all("\\Seen" in f for f in state.values())
    box.refresh_from_db()
    assert "no From header" in box.last_error


def test_unreachable_server_records_the_error(org):
    do_create_mailbox(NewMailbox(name="down", org_unit="HQ", host="127.0.0.1", port=free_port(),
                                 security="none", username="u", password="p"), actor=None)
    [report] = poll_mailboxes()
    assert report.errors and report.errors[0].startswith("connect:")
    box = Mailbox.objects.get(name="down")
    assert box.last_error.startswith("connect:") and box.last_polled_at is not None
    assert Case.objects.count() == 0


def test_inactive_and_pipe_only_mailboxes_are_not_polled(org, imap_account):
    do_create_mailbox(NewMailbox(name="off", org_unit="HQ", host=imap_account.host, port=imap_account.port,
                                 security="none", username=imap_account.user, password=imap_account.password,
                                 is_active=False), actor=None)
    do_create_mailbox(NewMailbox(name="pipe", org_unit="HQ"), actor=None)
    assert poll_mailboxes() == []


def test_mailbox_poll_command(box, imap_account, imap_folder):
    append(imap_account, imap_folder, mail(subject="命令行轮询"))
    out = io.StringIO()
    with translation.override("en"):
        call_command("mailbox", "poll", "kefu", stdout=out)
    number = Case.objects.get().number
    assert out.getvalue().strip() == (
        f"kefu: 1 fetched, 1 new cases, 0 replies, 0 ignored, 0 duplicates, 0 failed. {number}")
    with pytest.raises(CommandError), translation.override("en"):
        call_command("mailbox", "poll", "nope", stdout=io.StringIO())


def test_celery_task_polls(box, imap_account, imap_folder, settings):
    from kesu.mailin.tasks import poll_mailboxes as task

    settings.CELERY_TASK_ALWAYS_EAGER = True
    append(imap_account, imap_folder, mail(subject="任务轮询"))
    assert task.delay().get() == 1
    assert Case.objects.get().title == "任务轮询"
    assert task.delay().get() == 0


def test_imap_utf7():
    assert imap_utf7("INBOX") == '"INBOX"'
    assert imap_utf7("已处理") == '"&XfJZBHQG-"'
    assert imap_utf7("A&B") == '"A&-B"'


def test_wrong_password_records_the_error(org, imap_account):
    """Last in this file: dovecot delays the next login from 127.0.0.1 after a failed one."""
    do_create_mailbox(NewMailbox(name="badpw", org_unit="HQ", host=imap_account.host, port=imap_account.port,
                                 security="none", username=imap_account.user, password="wrong"), actor=None)
    [report] = poll_mailboxes()
    assert report.errors and report.errors[0].startswith("connect:")
    assert Mailbox.objects.get(name="badpw").last_error != ""
