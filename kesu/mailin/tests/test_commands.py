import importlib
import io
import sys
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kesu.cases.models import Case
from kesu.mailin.models import IngestedMessage, Mailbox
from kesu.mailin.tests.mails import PNG, mail


def ingest(raw: bytes, *args: str) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("ingest-email", *args, stdin=io.BytesIO(raw), stdout=out)
    return out.getvalue()


def test_ingest_email_new_case_then_duplicate(org):
    raw = mail(attachments=[("a.exe", "application/octet-stream", b"MZ\x90\x00"),
                            ("p.png", "image/png", PNG)])
    output = ingest(raw)
    case = Case.objects.get()
    assert output.splitlines()[0] == f"New case {case.number}."
    assert output.splitlines()[1].startswith("Attachment a.exe not kept: ")
    assert (case.channel, case.org_unit.code) == ("email", "HQ")
    again = ingest(raw)
    assert again.splitlines()[0] == (
        f"Duplicate: this message was taken in before. New case {case.number}.")
    assert Case.objects.count() == 1


def test_ingest_email_into_named_mailbox(org):
    call_command("mailbox", "add", "stores", "--org-unit", "S-S1", stdout=io.StringIO())
    ingest(mail(), "--mailbox", "stores")
    assert Case.objects.get().org_unit.code == "S-S1"
    assert IngestedMessage.objects.get().mailbox == "stores"


def test_ingest_email_ignores_auto_reply(org):
    output = ingest(mail(headers={"Auto-Submitted": "auto-replied"}))
    assert output.strip() == "Ignored: automatic mail (auto-submitted)."
    assert Case.objects.count() == 0


@pytest.mark.parametrize("raw", [b"", b"   \n", b"\x00\x01binary junk"])
def test_ingest_email_refuses_unparseable_input(org, raw):
    with pytest.raises(CommandError) as err, translation.override("en"):
        call_command("ingest-email", stdin=io.BytesIO(raw), stdout=io.StringIO())
    assert err.value.returncode == 2
    assert str(err.value) in ("No message on standard input.",
                              "The input is not an e-mail message: it has no From header.")
    assert Case.objects.count() == 0 and IngestedMessage.objects.count() == 0


def test_ingest_email_unknown_mailbox(org):
    with pytest.raises(CommandError) as err, translation.override("en"):
        call_command("ingest-email", "--mailbox", "nope", stdin=io.BytesIO(mail()), stdout=io.StringIO())
    assert (err.value.returncode, str(err.value)) == (2, "No mailbox is called nope.")


def test_mailbox_add_and_list(org, monkeypatch):
    monkeypatch.setenv("KESU_MAILBOX_PASSWORD", "from-env")
    out = io.StringIO()
    with translation.override("en"):
        call_command("mailbox", "add", "kefu", "--org-unit", "EAST", "--host", "imap.example.cn",
                     "--username", "kefu@example.cn", "--processed-folder", "已处理", stdout=out)
        call_command("mailbox", "add", "pipe", "--org-unit", "HQ", "--inactive", stdout=out)
        call_command("mailbox", "list", stdout=out)
    box = Mailbox.objects.get(name="kefu")
    assert (box.host, box.port, box.security, box.password, box.default_org_unit.code) == (
        "imap.example.cn", 993, "ssl", "from-env", "EAST")
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["Mailbox kefu added.", "Mailbox pipe added."]
    assert lines[2] == "kefu\tkefu@example.cn@imap.example.cn:993/INBOX\tEAST\tactive\tlast polled -"
    assert lines[3] == "pipe\tpipe only\tHQ\tinactive\tlast polled -"


def test_mailbox_add_refuses_bad_input(org):
    with pytest.raises(CommandError) as err, translation.override("en"):
        call_command("mailbox", "add", "x", "--org-unit", "NOPE", stdout=io.StringIO())
    assert err.value.returncode == 2
    assert "org_unit" in str(err.value)
    assert Mailbox.objects.count() == 0


def test_mailbox_poll_without_mailboxes(org):
    out = io.StringIO()
    with translation.override("en"):
        call_command("mailbox", "poll", stdout=out)
    assert out.getvalue().strip() == "No active IMAP mailbox to poll."


def test_ingest_email_as_a_pipe_reads_binary_stdin(org, monkeypatch, capsys):
    """As a mail server runs it: raw bytes on the process's stdin, an exit status, stderr.

    (A subprocess would need a database of its own; run_from_argv is the same code path that
    ``kesu ingest-email`` takes after settings are loaded.)
    """
    from kesu.mailin.management.commands import __name__ as package

    command = importlib.import_module(package + ".ingest-email").Command()
    # run_from_argv closes the database connections when done: keep the test database open.
    monkeypatch.setattr("django.core.management.base.connections", SimpleNamespace(close_all=lambda: None))
    gbk_body = "锅生锈了".encode("gbk")
    raw = (b"From: a@example.cn\r\nSubject: pipe\r\nContent-Type: text/plain; charset=gbk\r\n\r\n"
           + gbk_body)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
    with translation.override("en"):
        command.run_from_argv(["kesu", "ingest-email"])
    case = Case.objects.get()
    assert case.description == "锅生锈了"
    assert capsys.readouterr().out == f"New case {case.number}.\n"

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\x00junk"), encoding="utf-8"))
    with pytest.raises(SystemExit) as exit_, translation.override("en"):
        command.run_from_argv(["kesu", "ingest-email"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        "CommandError: The input is not an e-mail message: it has no From header.\n")


def test_mailbox_set_changes_only_what_is_given(org):
    call_command("mailbox", "add", "kefu", "--org-unit", "EAST", "--host", "imap.example.cn",
                 "--username", "kefu", "--password", "pw-1", stdout=io.StringIO())
    out = io.StringIO()
    with translation.override("en"):
        call_command("mailbox", "set", "kefu", "--password", "pw-2", "--inactive", "--port", "1993",
                     stdout=out)
    box = Mailbox.objects.get(name="kefu")
    assert (box.password, box.is_active, box.port, box.host, box.default_org_unit.code) == (
        "pw-2", False, 1993, "imap.example.cn", "EAST")
    assert out.getvalue().strip() == "Mailbox kefu changed."
    call_command("mailbox", "set", "kefu", "--active", stdout=io.StringIO())
    assert Mailbox.objects.get(name="kefu").is_active is True
    with pytest.raises(CommandError) as err, translation.override("en"):
        call_command("mailbox", "set", "nope", "--active", stdout=io.StringIO())
    assert (err.value.returncode, str(err.value)) == (2, "No mailbox is called nope.")
