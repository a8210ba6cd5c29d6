"""``kesu ingest-email [--mailbox NAME]``: one message on stdin becomes a case or a reply (IN-1).

Made for a mail server's pipe, e.g. Postfix ``kesu: "|/opt/kesu/.venv/bin/kesu ingest-email"``.
Exit 0 when the message was taken in (also as a duplicate or ignored automatic mail, so the
mail server does not bounce it), 2 for input that is not an e-mail or an unknown mailbox.
"""

from __future__ import annotations

import sys
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kesu.core.errors import KesuError
from kesu.mailin.actions import DEFAULT_MAILBOX, IngestResult, do_ingest_email
from kesu.mailin.choices import Outcome

USAGE_ERROR = 2
MAX_BYTES = 64 * 1024 * 1024


class Command(BaseCommand):
    help = (
        "Read one e-mail message (RFC 822 bytes) on standard input and register it: a new case, "
        "or a reply when the subject carries the number of a case of the sender."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", default=DEFAULT_MAILBOX,
                            help="name of the configured mailbox the mail arrived at (default: default)")

    def handle(self, *args: Any, **opts: Any) -> None:
        stream: IO[bytes] = opts.get("stdin") or sys.stdin.buffer
        raw = stream.read(MAX_BYTES + 1)
        if not raw.strip():
            raise CommandError(_("No message on standard input."), returncode=USAGE_ERROR)
        if len(raw) > MAX_BYTES:
            raise CommandError(_("The message is larger than {mb} MB.").format(mb=MAX_BYTES // 2**20),
                               returncode=USAGE_ERROR)
        try:
            result = do_ingest_email(raw, mailbox=opts["mailbox"])
        except KesuError as exc:
            raise CommandError(str(exc.message), returncode=USAGE_ERROR) from exc
        self.stdout.write(describe(result))
        for item in result.rejected_attachments:
            self.stdout.write(_("Attachment {name} not kept: {reason}").format(
                name=item["name"], reason=item["message"]))


def describe(result: IngestResult) -> str:
    """One line for the operator: what became of the message, with the case number."""
    number = result.case.number if result.case is not None else ""
    if result.outcome == Outcome.IGNORED:
        line = _("Ignored: automatic mail ({reason}).").format(reason=result.record.reason or "-")
    elif result.outcome == Outcome.REPLY:
        line = _("Reply added to case {number}.").format(number=number)
    else:
        line = _("New case {number}.").format(number=number)
    if result.duplicate:
        return _("Duplicate: this message was taken in before. {first}").format(first=line)
    return line
