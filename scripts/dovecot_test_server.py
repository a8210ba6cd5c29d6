"""Start a throw-away dovecot IMAP server for the e-mail intake tests, by hand.

Usage (from the repository root; needs Debian's ``dovecot-imapd``)::

    .venv/bin/python scripts/dovecot_test_server.py
    # prints KESU_TEST_IMAP_URL=imap://kesu-test:<password>@127.0.0.1:<port>/INBOX and waits

Export the printed line in another shell and run ``pytest kesu/mailin``; stop this script with
Ctrl-C (or SIGTERM) and the server and its temporary Maildir are removed. The test fixture
starts such a server itself when KESU_TEST_IMAP_URL is not set, so CI only needs the package;
this script is for poking at the server with a mail client or ``kesu mailbox poll``.
Plain-text login on 127.0.0.1 only, a passwd-file user, Maildir in a temporary directory, a
free port; as root the mail files belong to ``nobody``.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kesu.mailin.tests import dovecot  # noqa: E402


def main() -> int:
    if not dovecot.available():
        print(f"{dovecot.DOVECOT} not found: apt-get install dovecot-imapd", file=sys.stderr)
        return 1
    server = dovecot.start()
    print(f"KESU_TEST_IMAP_URL={server.url}", flush=True)
    print(f"# config and log: {server.base}", flush=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
