"""Parse an incoming e-mail (RFC 5322 / MIME) into plain data, with no database access.

Chinese mail is messy: GB2312 labels on GBK text, raw 8-bit GBK in headers, GBK file names in
encoded words or RFC 2231 parameters, HTML-only bodies from webmail, quoted replies in the
styles of Outlook, Foxmail/QQ, NetEase and Gmail. Everything here decodes leniently — a
message is never rejected for a bad byte — because the mail is a customer's complaint and
must become a case even when its sender's client is broken.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import MessageError
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import TypeVar

from kesu.mailin.htmltext import html_to_text

T = TypeVar("T")

#: Labels that are, in practice, subsets of a wider charset: decode with the superset.
CHARSET_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "euc-cn": "gb18030", "hz-gb-2312": "gb18030", "gb_2312-80": "gb18030",
    "big5": "big5hkscs", "cp950": "big5hkscs", "x-big5": "big5hkscs",
    "us-ascii": "utf-8", "ascii": "utf-8", "iso-8859-1": "cp1252", "latin1": "cp1252",
    "utf8": "utf-8", "unicode-1-1-utf-7": "utf-7",
}
#: Tried in this order when a part has no charset or its charset does not decode it.
FALLBACKS = ("utf-8", "gb18030", "big5hkscs")

ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")
MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
MAX_ID_LENGTH = 250


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str = ""


@dataclass(frozen=True)
class ParsedMail:
    """What intake needs from one message. ``text`` is the whole body as plain text."""

    message_id: str
    from_name: str
    from_address: str
    subject: str
    date: datetime | None
    in_reply_to: str
    references: list[str]
    text: str
    html_only: bool
    attachments: list[MailAttachment] = field(default_factory=list)
    #: Why this message looks machine-generated (auto-reply, bounce, bulk); "" for a person's mail.
    automatic: str = ""
    #: Message-ID if present, else "sha256:" + the hash of the raw bytes: the idempotency key.
    key: str = ""
    has_headers: bool = True

    @property
    def reply_text(self) -> str:
        """The text without the quoted earlier conversation, for a reply on an existing case."""
        return trim_quoted(self.text)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset (or its superset), then UTF-8, GB18030, Big5, never failing."""
    tried: list[str] = []
    label = (charset or "").strip().strip('"').lower()
    candidates = [CHARSET_SUPERSETS.get(label, label)] if label else []
    for name in [*candidates, *FALLBACKS]:
        if not name or name in tried:
            continue
        tried.append(name)
        try:
            return data.decode(name)
        except (LookupError, ValueError):  # unknown label, bad bytes, a NUL in the label
            continue
    try:
        return data.decode(candidates[0] if candidates else "utf-8", errors="replace")
    except (LookupError, ValueError):
        return data.decode("utf-8", errors="replace")


def _unsurrogate(text: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes: decode them as a charset guess."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return decode_bytes(text.encode("utf-8", errors="surrogateescape"), None)


def _decode_word(charset: str, encoding: str, payload: str) -> str:
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix: "utf-8*zh"
    try:
        if encoding.lower() == "b":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            data = binascii.a2b_qp(payload.encode("ascii", errors="replace"), header=True)
    except (binascii.Error, ValueError):
        return payload
    return decode_bytes(data, charset)


def decode_header_value(raw: str) -> str:
    """RFC 2047 encoded words (any charset, also mislabelled) and raw 8-bit text to one string."""
    text = _unsurrogate(raw)
    text = re.sub(r"\r?\n[ \t]+", " ", text)
    text = BETWEEN_WORDS.sub(r"\1\2", text)
    return ENCODED_WORD.sub(lambda m: _decode_word(m.group(1), m.group(2), m.group(3)), text).strip()


def _raw_header(msg: Message, name: str) -> str:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _clean_id(value: str) -> str:
    value = value.strip()
    found = MESSAGE_ID.search(value)
    ident = found.group(1) if found else value.strip("<> \t")
    if len(ident) > MAX_ID_LENGTH:
        return "sha256:" + hashlib.sha256(ident.encode("utf-8", errors="replace")).hexdigest()
    return ident


def _message_ids(value: str) -> list[str]:
    return [_clean_id(m) for m in MESSAGE_ID.findall(value)]


def _date(msg: Message) -> datetime | None:
    raw = _raw_header(msg, "Date")
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def automatic_reason(msg: Message, from_address: str) -> str:
    """Why a message is machine-generated (RFC 3834 and common practice); "" if it is not.

    Answering these or opening cases from them makes mail loops and floods of empty cases.
    """
    auto = _raw_header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return "auto-submitted"
    if _raw_header(msg, "X-Autoreply").strip() or _raw_header(msg, "X-Autorespond").strip():
        return "autoreply"
    if _raw_header(msg, "Precedence").strip().lower() in {"bulk", "junk", "list", "auto_reply"}:
        return "precedence"
    local = from_address.split("@", 1)[0].lower()
    if local in {"mailer-daemon", "postmaster"} or local.startswith(("mailer-daemon", "noreply", "no-reply")):
        return "mailer-daemon"
    if _safe(msg.get_content_type, "") == "multipart/report":
        return "delivery-report"
    return ""


#: What the stdlib's header parsing raises on damaged input (found by fuzzing: NUL bytes, bad
#: RFC 2231 charsets, broken folding). A damaged header must cost that header, not the mail.
HEADER_ERRORS = (ValueError, LookupError, TypeError, IndexError, UnicodeError, AttributeError, MessageError)


def _safe(call: Callable[[], T], default: T) -> T:
    try:
        return call()
    except HEADER_ERRORS:
        return default


def _filename(part: Message, index: int) -> str:
    name = _safe(part.get_filename, None) or ""
    if "=?" in name or any("\udc80" <= c <= "\udcff" for c in name):
        name = decode_header_value(name)
    name = name.replace("\x00", "").strip()
    if name:
        return name
    subtype = _safe(part.get_content_subtype, "") or "bin"
    ext = {"jpeg": "jpg", "plain": "txt", "rfc822": "eml", "octet-stream": "bin"}.get(subtype, subtype)
    return f"attachment-{index}.{ext}"


def _payload(part: Message) -> bytes:
    data = _safe(lambda: part.get_payload(decode=True), None)
    if isinstance(data, bytes):
        return data
    return str(_safe(lambda: str(part.get_payload()), "")).encode("utf-8", errors="surrogateescape")


def _walk(msg: Message, plains: list[str], htmls: list[str], files: list[MailAttachment]) -> None:
    """Depth-first over the MIME tree; attached messages stay whole as .eml attachments."""
    ctype = _safe(msg.get_content_type, "text/plain")
    if ctype == "message/rfc822":
        files.append(MailAttachment(_filename(msg, len(files) + 1), ctype, _inner_bytes(msg)))
        return
    if msg.is_multipart():
        for sub in msg.get_payload():
            assert isinstance(sub, Message)
            _walk(sub, plains, htmls, files)
        return
    disposition = (_safe(msg.get_content_disposition, None) or "").lower()
    has_name = bool(_safe(msg.get_filename, None))
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not has_name:
        text = decode_bytes(_payload(msg), _safe(msg.get_content_charset, None))
        (plains if ctype == "text/plain" else htmls).append(text)
        return
    content_id = _raw_header(msg, "Content-ID").strip().strip("<>")
    inline = disposition == "inline" or (not disposition and bool(content_id))
    files.append(MailAttachment(_filename(msg, len(files) + 1), ctype, _payload(msg), inline, content_id))


def _inner_bytes(part: Message) -> bytes:
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        first = inner[0]
        return _safe(first.as_bytes, None) or str(first).encode("utf-8", errors="surrogateescape")
    return b""


def _normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def parse_message(raw: bytes) -> ParsedMail:
    """Parse raw message bytes. Never raises for malformed content; check ``has_headers``."""
    msg: Message
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except HEADER_ERRORS:
        # The modern parser chokes on some damaged MIME headers; compat32 keeps them as strings.
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    from_raw = _raw_header(msg, "From") or _raw_header(msg, "Sender")
    name, address = parseaddr(_unsurrogate(re.sub(r"\r?\n[ \t]+", " ", from_raw)))
    if not address and from_raw:
        pairs = getaddresses([_unsurrogate(from_raw)])
        name, address = pairs[0] if pairs else ("", "")
    plains: list[str] = []
    htmls: list[str] = []
    files: list[MailAttachment] = []
    _walk(msg, plains, htmls, files)
    if plains:
        text = "\n\n".join(p for p in plains if p.strip())
    else:
        text = "\n\n".join(html_to_text(h) for h in htmls)
    message_id = _clean_id(_raw_header(msg, "Message-ID")) if _raw_header(msg, "Message-ID").strip() else ""
    return ParsedMail(
        message_id=message_id,
        from_name=decode_header_value(name).strip().strip('"'),
        from_address=address.strip(),
        subject=decode_header_value(_raw_header(msg, "Subject")),
        date=_date(msg),
        in_reply_to=next(iter(_message_ids(_raw_header(msg, "In-Reply-To"))), ""),
        references=_message_ids(_raw_header(msg, "References")),
        text=_normalise_text(text),
        html_only=not plains and bool(htmls),
        attachments=files,
        automatic=automatic_reason(msg, address),
        key=message_id or "sha256:" + hashlib.sha256(raw).hexdigest(),
        has_headers=bool(list(msg.raw_items())) and bool(from_raw),
    )


# --- quoted replies ------------------------------------------------------------------------

_CUT_LINE = re.compile(
    r"^\s*(?:-{2,}|_{2,})?\s*(?:原始邮件|原始郵件|Original Message|Forwarded message|转发邮件|转发的邮件)"
    r"\s*(?:-{2,}|_{2,})?\s*$",
    re.IGNORECASE,
)
_WROTE = re.compile(
    r"^\s*(?:在.{0,200}写道|在.{0,200}寫道|On\s.{0,300}\swrote)\s*[:：]?\s*$", re.IGNORECASE | re.S
)
_HEADER_FROM = re.compile(r"^\s*\**(?:发件人|寄件者|From)\**\s*[:：]", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\**(?:发送时间|发送日期|日期|时间|Sent|Date|收件人|To|主题|Subject)\**\s*[:：]", re.IGNORECASE
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")


def _cut_index(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if _CUT_LINE.match(line) or _UNDERSCORES.match(line):
            return i
        if line.strip().startswith(("在", "On ", "on ")):
            for span in (1, 2, 3):
                if _WROTE.match(" ".join(x.strip() for x in lines[i:i + span])):
                    return i
        if _HEADER_FROM.match(line) and any(_HEADER_NEXT.match(x) for x in lines[i + 1:i + 5]):
            return i
    return None


def trim_quoted(text: str) -> str:
    """Drop the quoted earlier conversation: everything from a reply header on, and '>' lines.

    If nothing would be left (a forwarded mail that is all quote), the whole text is kept:
    losing the customer's words is worse than keeping a quote.
    """
    lines = text.split("\n")
    cut = _cut_index(lines)
    kept = lines[:cut] if cut is not None else lines
    kept = [line for line in kept if not line.lstrip().startswith(">")]
    result = _normalise_text("\n".join(kept))
    return result or text.strip()
