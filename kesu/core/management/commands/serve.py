"""``kesu serve``: the web server and the Celery worker (with beat) as one foreground program.

Both run as child processes of this command, each in its own session so that a terminal's
Ctrl+C reaches only this process, which then stops both children gracefully (SIGTERM:
gunicorn finishes requests in flight, Celery finishes running tasks). A second Ctrl+C kills
them. When either child dies on its own the other is stopped and the command exits non-zero.

The broker is whatever the settings say: files under ``KESU_DATA_DIR/broker`` in the embedded
profile, Redis when ``KESU_REDIS_URL`` is set. In production run the processes separately
(README, "Production"): several web processes, several workers and exactly one beat.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

STOP_TIMEOUT_SECONDS = 30
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def default_web_workers() -> int:
    return max(2, min(4, os.cpu_count() or 2))


def ensure_port_free(host: str, port: int) -> None:
    """Fail early with a clear message instead of gunicorn's retry loop."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}. "
                f"Another program (perhaps another kesu serve) is using the port; "
                f"stop it or choose another with --port."
            ) from exc


def wait_for_port(host: str, port: int, timeout: float, keep_going: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + timeout
    target = "127.0.0.1" if host in {"0.0.0.0", ""} else ("::1" if host == "::" else host)  # noqa: S104
    while time.monotonic() < deadline and keep_going():
        try:
            with socket.create_connection((target, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def broker_description() -> str:
    url = str(settings.CELERY_BROKER_URL)
    if url.startswith("filesystem"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", "")
        return f"filesystem broker in {Path(str(folder)).parent}"
    return f"{url.split(':', 1)[0]} broker"


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if ``kesu serve`` itself is killed (Linux).

    Without it a ``kill -9`` of this command (or the OOM killer) would leave gunicorn and the
    worker running, detached, on the port.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    label: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = field(default=None)

    def start(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(self.argv, env=env, start_new_session=True,  # noqa: S603
                                     preexec_fn=_die_with_parent)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.proc is not None
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def kill_group(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class Command(BaseCommand):
    help = (
        "Run kesu on this machine: gunicorn (web) and a Celery worker with beat, "
        "both stopped together with Ctrl+C or SIGTERM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (8000)")
        parser.add_argument("--workers", type=int, default=default_web_workers(),
                            help="gunicorn worker processes (default: 2-4 by CPU count)")
        parser.add_argument("--threads", type=int, default=4, help="Threads per web process (4)")
        parser.add_argument("--concurrency", type=int, default=2,
                            help="Celery worker processes (2)")

    def handle(self, *args: Any, **opts: Any) -> None:
        host, port = opts["host"], opts["port"]
        ensure_port_free(host, port)
        data_dir = Path(settings.DATA_DIR)
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns if absent
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kesu.settings", "KESU_DATA_DIR": str(data_dir)}
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        web = Child("web server (gunicorn)", [
            sys.executable, "-m", "gunicorn", "kesu.wsgi:application", "--bind", bind,
            "--workers", str(opts["workers"]), "--threads", str(opts["threads"]),
            "--worker-class", "gthread", "--graceful-timeout", "20", "--timeout", "60",
            "--access-logfile", "-",
        ])
        worker = Child("Celery worker", [
            sys.executable, "-m", "celery", "--quiet", "-A", "kesu", "worker", "-B",
            "--schedule", str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
            "--concurrency", str(opts["concurrency"]), "--loglevel", "INFO",
        ])
        children = [web, worker]
        stop = {"requested": 0}

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop["requested"] += 1
            if stop["requested"] > 1:  # impatient second Ctrl+C: kill now
                for child in children:
                    child.kill_group()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in children:
                child.start(env)
            if wait_for_port(host, port, 60, lambda: web.alive() and not stop["requested"]):
                self.stdout.write(
                    f"kesu is running at http://{bind}/  (portal: http://{bind}/portal/, "
                    f"API: http://{bind}/api/v1/docs)\n"
                    f"web: {opts['workers']} gunicorn processes × {opts['threads']} threads; "
                    f"Celery worker + beat on the {broker_description()}; data in {data_dir}\n"
                    "Press Ctrl+C to stop."
                )
            failed = self._watch(children, stop)
        finally:
            self._stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed is not None:
            assert failed.proc is not None
            raise CommandError(
                f"the {failed.label} exited with code {failed.proc.returncode}; "
                "the other process was stopped. See the messages above."
            )
        self.stdout.write("kesu serve: stopped.")

    @staticmethod
    def _watch(children: list[Child], stop: dict[str, int]) -> Child | None:
        """Block until a stop is requested (→ None) or a child dies (→ that child)."""
        while not stop["requested"]:
            for child in children:
                if not child.alive():
                    return child
            time.sleep(0.3)
        return None

    @staticmethod
    def _stop(children: list[Child]) -> None:
        for child in children:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                sys.stderr.write(f"kesu serve: the {child.label} did not stop in time; killing it\n")
            child.kill_group()  # stragglers (pool processes) of a dead or stuck parent
            child.proc.wait()
