"""A throw-away dovecot IMAP server for tests (used by the fixture and scripts/dovecot_test_server.py).

Why a real server: imaplib's behaviour against a mock proves little (UID ranges, flags, MOVE,
literals with Chinese headers are where real servers differ). Debian's ``dovecot-imapd`` is
started with a config of its own in a temporary directory: IMAP only, on 127.0.0.1 at a free
port, plain-text login allowed, one passwd-file user, Maildir storage. Nothing of the system's
``/etc/dovecot`` is read. Works as root (mail files owned by ``nobody``) and as a normal user
(everything runs as that user).
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = os.environ.get("KESU_DOVECOT_BINARY", "/usr/sbin/dovecot")
STARTUP_SECONDS = 15.0

CONFIG = """\
base_dir = {base}/run
state_dir = {base}/state
instance_name = kesu-test-{port}
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# A failed login answers at once (the wrong-password test). dovecot's anvil still delays the
# next login from the same IP by a few seconds, so that test runs last.
auth_failure_delay = 0
mail_location = maildir:{base}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
{extra}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""

# As a normal user dovecot cannot switch users: every service runs as the caller.
ROOTLESS = """\
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
"""


@dataclass
class DovecotServer:
    """A running server; ``url`` is what KESU_TEST_IMAP_URL would hold."""

    base: Path
    port: int
    user: str
    password: str
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@127.0.0.1:{self.port}/INBOX"

    def stop(self) -> None:
        """Stop dovecot (the process we started, by its id) and remove its files."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.base, ignore_errors=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def available() -> bool:
    return Path(DOVECOT).is_file() and os.access(DOVECOT, os.X_OK)


def _mail_owner() -> tuple[int, int, str]:
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid, ""
    me = pwd.getpwuid(os.geteuid())
    return me.pw_uid, me.pw_gid, ROOTLESS.format(user=me.pw_name, group=grp.getgrgid(me.pw_gid).gr_name)


def start(user: str = "kesu-test") -> DovecotServer:
    """Start dovecot in the foreground (``-F``) as a child process; wait until it accepts a login."""
    if not available():
        raise RuntimeError(f"{DOVECOT} not found: apt-get install dovecot-imapd")
    base = Path(tempfile.mkdtemp(prefix="kesu-dovecot-"))
    uid, gid, extra = _mail_owner()
    # The mail processes run as `uid`: they must be able to reach the Maildir below base.
    base.chmod(0o755)
    (base / "mail").mkdir()
    if os.geteuid() == 0:
        os.chown(base / "mail", uid, gid)
    password = secrets.token_hex(8)
    (base / "passwd").write_text(f"{user}:{{PLAIN}}{password}::::::\n")
    port = free_port()
    conf = base / "dovecot.conf"
    conf.write_text(CONFIG.format(base=base, port=port, uid=uid, gid=gid, extra=extra))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )
    server = DovecotServer(base, port, user, password, process)
    deadline = time.monotonic() + STARTUP_SECONDS
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            log_file = base / "dovecot.log"
            log = log_file.read_text(errors="replace") if log_file.exists() else ""
            server.stop()
            raise RuntimeError(f"dovecot exited with {process.returncode}: {err}\n{log}")
        try:
            with imaplib.IMAP4("127.0.0.1", port, timeout=2) as conn:
                conn.login(user, password)
                conn.select("INBOX")
                conn.logout()
            return server
        except (OSError, imaplib.IMAP4.error) as exc:
            last_error = str(exc)
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"dovecot did not accept a login within {STARTUP_SECONDS} s: {last_error}")
