"""``kesu mailbox add|list|poll``: the mailboxes e-mail intake reads (IN-1)."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.core.errors import KesuError
from kesu.mailin.actions import NewMailbox, do_create_mailbox, do_update_mailbox, mailbox_data
from kesu.mailin.imap import PollReport, poll_mailboxes
from kesu.mailin.models import Mailbox

USAGE_ERROR = 2
#: Options of ``kesu mailbox set`` (NewMailbox fields; the name is the key and stays).
EDITABLE = ("org_unit", "address", "host", "port", "security", "username", "password", "folder",
            "processed_folder", "kind")


class Command(BaseCommand):
    help = (
        "E-mail intake mailboxes: kesu mailbox add NAME --org-unit CODE [--host H --username U ...]; "
        "kesu mailbox set NAME [--password P --inactive ...]; kesu mailbox list; "
        "kesu mailbox poll [NAME]. On add, the IMAP password comes from --password or "
        "KESU_MAILBOX_PASSWORD."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        add = sub.add_parser("add", help="Add a mailbox")
        add.add_argument("name")
        add.add_argument("--org-unit", required=True, dest="org_unit",
                         help="code of the org unit new cases from this mailbox belong to")
        add.add_argument("--address", default="", help="the mailbox's own address (never taken in)")
        add.add_argument("--host", default="", help="IMAP server; leave out for a pipe-only mailbox")
        add.add_argument("--port", type=int, default=None, help="default 993 (ssl), else 143")
        add.add_argument("--security", default="ssl", choices=["ssl", "starttls", "none"])
        add.add_argument("--username", default="")
        add.add_argument("--password", default=None)
        add.add_argument("--folder", default="INBOX")
        add.add_argument("--processed-folder", dest="processed_folder", default="",
                         help="move processed mail there (default: only mark it read)")
        add.add_argument("--kind", default="complaint", help="kind of the cases it creates")
        add.add_argument("--inactive", action="store_true", help="add it switched off")
        edit = sub.add_parser("set", help="Change settings of a mailbox; options not given stay as they are")
        edit.add_argument("name")
        for option in EDITABLE:
            edit.add_argument(f"--{option.replace('_', '-')}", dest=option, default=None,
                              type=int if option == "port" else str)
        state = edit.add_mutually_exclusive_group()
        state.add_argument("--active", dest="is_active", action="store_true", default=None)
        state.add_argument("--inactive", dest="is_active", action="store_false")
        sub.add_parser("list", help="List mailboxes with their last poll and error")
        poll = sub.add_parser("poll", help="Poll active IMAP mailboxes now")
        poll.add_argument("name", nargs="?", default=None)

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, "_" + opts["action"])(opts)

    def _add(self, opts: dict[str, Any]) -> None:
        port = opts["port"] or (993 if opts["security"] == "ssl" else 143)
        password = opts["password"] if opts["password"] is not None else os.environ.get(
            "KESU_MAILBOX_PASSWORD", "")
        try:
            box = do_create_mailbox(NewMailbox(
                name=opts["name"], org_unit=opts["org_unit"], address=opts["address"], host=opts["host"],
                port=port, security=opts["security"], username=opts["username"], password=password,
                folder=opts["folder"], processed_folder=opts["processed_folder"], kind=opts["kind"],
                is_active=not opts["inactive"],
            ), actor=None)
        except KesuError as exc:
            raise _usage_error(exc) from exc
        self.stdout.write(_("Mailbox {name} added.").format(name=box.name))

    def _set(self, opts: dict[str, Any]) -> None:
        box = Mailbox.objects.select_related("default_org_unit").filter(name=opts["name"]).first()
        if box is None:
            raise CommandError(_("No mailbox is called {name}.").format(name=opts["name"]),
                               returncode=USAGE_ERROR)
        given = {k: opts[k] for k in (*EDITABLE, "is_active") if opts.get(k) is not None}
        try:
            do_update_mailbox(box, replace(mailbox_data(box), **given), actor=None)
        except KesuError as exc:
            raise _usage_error(exc) from exc
        self.stdout.write(_("Mailbox {name} changed.").format(name=box.name))

    def _list(self, opts: dict[str, Any]) -> None:
        boxes = Mailbox.objects.select_related("default_org_unit").order_by("name")
        if not boxes:
            self.stdout.write(_("No mailboxes."))
        for box in boxes:
            where = f"{box.username}@{box.host}:{box.port}/{box.folder}" if box.host else _("pipe only")
            state = _("active") if box.is_active else _("inactive")
            polled = (timezone.localtime(box.last_polled_at).strftime("%Y-%m-%d %H:%M:%S")
                      if box.last_polled_at else "-")
            self.stdout.write(_("{name}\t{where}\t{unit}\t{state}\tlast polled {polled}").format(
                name=box.name, where=where, unit=box.default_org_unit.code, state=state, polled=polled))
            if box.last_error:
                self.stdout.write("\t" + _("last error: {error}").format(error=box.last_error))

    def _poll(self, opts: dict[str, Any]) -> None:
        name = opts["name"]
        if name and not Mailbox.objects.filter(name=name).exists():
            raise CommandError(_("No mailbox is called {name}.").format(name=name), returncode=USAGE_ERROR)
        reports = poll_mailboxes(name)
        if not reports:
            self.stdout.write(_("No active IMAP mailbox to poll."))
        for report in reports:
            self.stdout.write(_summary(report))
            for error in report.errors:
                self.stderr.write(f"{report.mailbox}: {error}")
        if any(r.errors for r in reports):
            raise CommandError(_("Some messages or mailboxes failed; see above."))


def _usage_error(exc: KesuError) -> CommandError:
    details = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in exc.fields.items())
    return CommandError(f"{exc.message} {details}".strip(), returncode=USAGE_ERROR)


def _summary(report: PollReport) -> str:
    line = _("{name}: {fetched} fetched, {new} new cases, {replies} replies, {ignored} ignored, "
             "{dupes} duplicates, {failed} failed.")
    text = line.format(name=report.mailbox, fetched=report.fetched, new=report.new_cases,
                       replies=report.replies, ignored=report.ignored, dupes=report.duplicates,
                       failed=report.failed)
    return text + (" " + " ".join(report.cases) if report.cases else "")
