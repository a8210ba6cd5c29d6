"""IMAP polling with the stdlib ``imaplib``: unseen mail in each active mailbox becomes cases.

Order per message: fetch with ``BODY.PEEK[]`` (does not set \\Seen), ingest in its own
transaction, then set \\Seen (and move to the processed folder if one is set). A crash between
ingest and \\Seen leaves the message unseen; the next poll ingests it again, which the
Message-ID record turns into a no-op. A message that fails stays unseen and is retried on the
next poll, except input that is not an e-mail at all: that is flagged and set \\Seen so it
does not fail every minute forever.
"""

from __future__ import annotations

import base64
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field
from datetime import datetime

from kesu.core.errors import KesuError
from kesu.mailin.actions import do_ingest_email, do_record_poll
from kesu.mailin.choices import Outcome, Security
from kesu.mailin.models import Mailbox

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
BATCH = 200
REJECTED_FLAG = "$KesuRejected"
INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


@dataclass
class PollReport:
    """Counts of one mailbox's poll; ``errors`` also end up in ``Mailbox.last_error``."""

    mailbox: str
    fetched: int = 0
    new_cases: int = 0
    replies: int = 0
    ignored: int = 0
    duplicates: int = 0
    failed: int = 0
    cases: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3), quoted: "已处理" → "&XfJZBHQG-"."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    encoded = "".join(out).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{encoded}"'


def connect(box: Mailbox) -> imaplib.IMAP4:
    """Open and log in; SSL/STARTTLS verify the server certificate against the system CAs."""
    conn: imaplib.IMAP4
    if box.security == Security.SSL:
        conn = imaplib.IMAP4_SSL(box.host, box.port, ssl_context=ssl.create_default_context(),
                                 timeout=TIMEOUT_SECONDS)
    else:
        conn = imaplib.IMAP4(box.host, box.port, timeout=TIMEOUT_SECONDS)
        if box.security == Security.STARTTLS:
            conn.starttls(ssl.create_default_context())
    conn.login(box.username, box.password)
    return conn


def _internaldate(meta: bytes) -> datetime | None:
    found = INTERNALDATE.search(meta)
    if not found:
        return None
    try:
        return datetime.strptime(found.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


def _fetch(conn: imaplib.IMAP4, uid: str) -> tuple[bytes, datetime | None] | None:
    typ, data = conn.uid("FETCH", uid, "(INTERNALDATE BODY.PEEK[])")
    if typ != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1]), _internaldate(bytes(item[0]))
    return None


def can_move(conn: imaplib.IMAP4) -> bool:
    """Whether the server has UID MOVE (RFC 6851), asked after login: servers list more then."""
    typ, data = conn.capability()
    return typ == "OK" and b"MOVE" in bytes(data[0] or b"").upper().split()


def _done(conn: imaplib.IMAP4, uid: str, box: Mailbox, *, move: bool, flag: str = "") -> None:
    """Mark a handled message \\Seen, then move it to the processed folder if one is set."""
    conn.uid("STORE", uid, "+FLAGS", f"(\\Seen{' ' + flag if flag else ''})")
    if not box.processed_folder:
        return
    target = imap_utf7(box.processed_folder)
    if move:
        conn.uid("MOVE", uid, target)
    else:
        conn.uid("COPY", uid, target)
        conn.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        conn.expunge()


def _ingest_one(conn: imaplib.IMAP4, uid: str, box: Mailbox, report: PollReport, *, move: bool) -> None:
    fetched = _fetch(conn, uid)
    if fetched is None:
        report.failed += 1
        report.errors.append(f"UID {uid}: fetch failed")
        return
    raw, received_at = fetched
    report.fetched += 1
    try:
        result = do_ingest_email(raw, mailbox=box.name, received_at=received_at)
    except KesuError as exc:
        report.failed += 1
        report.errors.append(f"UID {uid}: {exc.message}")
        if exc.code == "unparseable_email":
            _done(conn, uid, box, move=move, flag=REJECTED_FLAG)
        return
    if result.duplicate:
        report.duplicates += 1
    elif result.outcome == Outcome.NEW_CASE:
        report.new_cases += 1
    elif result.outcome == Outcome.REPLY:
        report.replies += 1
    else:
        report.ignored += 1
    if result.case is not None and not result.duplicate:
        report.cases.append(result.case.number)
    _done(conn, uid, box, move=move)


def poll_mailbox(box: Mailbox) -> PollReport:
    """Ingest up to BATCH unseen messages of one mailbox; errors are recorded, never raised."""
    report = PollReport(box.name)
    try:
        conn = connect(box)
    except (OSError, imaplib.IMAP4.error) as exc:
        report.errors.append(f"connect: {exc}")
        do_record_poll(box, error=report.errors[0])
        return report
    try:
        typ, _ = conn.select(imap_utf7(box.folder))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot select folder {box.folder}")
        move = bool(box.processed_folder) and can_move(conn)
        typ, data = conn.uid("SEARCH", "UNSEEN")
        for uid in (data[0] or b"").decode().split()[:BATCH]:
            try:
                _ingest_one(conn, uid, box, report, move=move)
            except (OSError, imaplib.IMAP4.error):
                raise
            except Exception as exc:  # logged and recorded: one bad message must not stop the rest
                log.exception("mailbox %s: UID %s failed", box.name, uid)
                report.failed += 1
                report.errors.append(f"UID {uid}: {type(exc).__name__}: {exc}")
    except (OSError, imaplib.IMAP4.error) as exc:
        report.errors.append(f"imap: {exc}")
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            log.warning("mailbox %s: logout failed", box.name)
    do_record_poll(box, error="\n".join(report.errors))
    return report


def poll_mailboxes(name: str | None = None) -> list[PollReport]:
    """Poll every active IMAP mailbox (or the one called ``name``); nothing to do without any."""
    boxes = Mailbox.objects.select_related("default_org_unit").filter(is_active=True).exclude(host="")
    if name is not None:
        boxes = boxes.filter(name=name)
    return [poll_mailbox(box) for box in boxes.order_by("name")]
