"""Fixtures of the e-mail intake tests: a real IMAP server (dovecot) and a mailbox row for it.

The server is ``KESU_TEST_IMAP_URL`` (imap://user:pass@127.0.0.1:PORT/INBOX) if set, else a
dovecot this session starts (Debian package ``dovecot-imapd``). Without either the IMAP tests
skip locally, and fail under ``CI=true``: CI must not go green by skipping them.
"""

from __future__ import annotations

import imaplib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import pytest

from kesu.mailin.tests import dovecot


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(self.user, self.password)
        return conn


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"IMAP server needed under CI=true: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def imap_account() -> Iterator[ImapAccount]:
    if url := os.environ.get("KESU_TEST_IMAP_URL"):
        parts = urlsplit(url)
        yield ImapAccount(parts.hostname or "127.0.0.1", parts.port or 143,
                          unquote(parts.username or ""), unquote(parts.password or ""))
        return
    if not dovecot.available():
        _missing("no IMAP server: set KESU_TEST_IMAP_URL or apt-get install dovecot-imapd")
    try:
        server = dovecot.start()
    except RuntimeError as exc:
        _missing(f"dovecot did not start: {exc}")
        raise
    try:
        yield ImapAccount("127.0.0.1", server.port, server.user, server.password)
    finally:
        server.stop()


@pytest.fixture
def imap_folder(imap_account: ImapAccount) -> Iterator[str]:
    """A fresh folder per test, so tests share the server but never each other's mail."""
    name = f"kesu-test-{uuid.uuid4().hex[:12]}"
    conn = imap_account.connect()
    typ, data = conn.create(name)
    assert typ == "OK", data
    conn.logout()
    yield name
    conn = imap_account.connect()
    conn.delete(name)
    conn.logout()
