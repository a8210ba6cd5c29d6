"""Real local receivers for tests: an SMTP server and an HTTP server on 127.0.0.1.

Reusable by any app that sends mail or webhooks::

    with SmtpReceiver() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
        ...
        (msg,) = smtp.messages          # email.message.EmailMessage, parsed

    with HttpReceiver() as http:
        http.respond(500)               # next answers, in order; then the default 200 "{}"
        ...
        (req,) = http.requests          # ReceivedRequest(method, path, query, headers, body)

``closed_port()`` gives a port nothing listens on, for "receiver is down" tests.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def closed_port() -> int:
    """A port that was free a moment ago: connecting to it is refused."""
    return free_port()


class _Collector:
    """aiosmtpd handler that keeps every accepted message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpReceiver:
    """An aiosmtpd server on a free local port; ``messages`` are parsed ``EmailMessage``s."""

    def __init__(self) -> None:
        self.host = HOST
        self.port = free_port()
        self._handler = _Collector()
        self._controller = Controller(self._handler, hostname=self.host, port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        with self._handler.lock:
            return list(self._handler.messages)

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        with self._handler.lock:
            return list(self._handler.envelopes)

    def __enter__(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def header(message: EmailMessage, name: str) -> str:
    """A decoded header. Python's parser keeps the space of a header folded right after the
    colon (Django folds long encoded subjects that way); mail clients drop it, and so do we."""
    return str(message[name] or "").strip()


def text_part(message: EmailMessage, subtype: str = "plain") -> str:
    """The decoded text of the ``text/<subtype>`` part (handles base64 and charsets)."""
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpReceiver:
    """A threaded HTTP server that records requests and answers from a script.

    ``respond(status, body)`` queues answers for the next requests; when the queue is empty it
    answers ``default`` (200 with ``{}``; set ``default_body`` to ``{"errcode":0}`` for robots).
    """

    def __init__(self, default_status: int = 200, default_body: Any = None) -> None:
        self.requests: list[ReceivedRequest] = []
        self._script: list[tuple[int, bytes]] = []
        self._default = (default_status, self._encode(default_body if default_body is not None else {}))
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = receiver._record(ReceivedRequest(
                    "POST", parts.path, parse_qs(parts.query), headers, body))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @staticmethod
    def _encode(body: Any) -> bytes:
        return body if isinstance(body, bytes) else json.dumps(body).encode()

    def _record(self, request: ReceivedRequest) -> tuple[int, bytes]:
        with self._lock:
            self.requests.append(request)
            return self._script.pop(0) if self._script else self._default

    def respond(self, status: int, body: Any = None) -> None:
        with self._lock:
            self._script.append((status, self._encode(body if body is not None else {})))

    def url(self, path: str = "/hook") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def __enter__(self) -> HttpReceiver:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
