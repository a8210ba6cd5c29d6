"""``kesu serve`` as a newcomer runs it: a fresh data directory, ``kesu init``, then serve.

Always the embedded profile (SQLite and the file broker in a temporary KESU_DATA_DIR), also in
the PostgreSQL leg, so that it never touches a real database.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from django.urls import reverse

START_SECONDS = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kesu(*args: str) -> list[str]:
    return [sys.executable, "-m", "kesu.cli", *args]


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    env: dict[str, str]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


@pytest.fixture
def embedded_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"KESU_DATABASE_URL", "KESU_REDIS_URL", "KESU_CELERY_EAGER"}}
    env.update(KESU_DATA_DIR=str(tmp_path / "data"), KESU_ADMIN_PASSWORD="admin-pass-123",
               DJANGO_SETTINGS_MODULE="kesu.settings")
    subprocess.run(kesu("init"), env=env, cwd=tmp_path, check=True, timeout=180, capture_output=True)
    return env


@pytest.fixture
def served(tmp_path: Path, embedded_env: dict[str, str]) -> Iterator[Served]:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            kesu("serve", "--port", str(port), "--workers", "2", "--concurrency", "1"),
            env=embedded_env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(proc, port, embedded_env, log)
    try:
        deadline = time.monotonic() + START_SECONDS
        while "kesu is running at" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"kesu serve did not start:\n{served.output()}")
            time.sleep(0.2)
        yield served
    finally:
        if proc.poll() is None:  # a failed test: stop serve, and its children whatever happens
            tree = psutil.Process(proc.pid).children(recursive=True)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for child in tree:
                try:
                    child.kill()
                except psutil.NoSuchProcess:
                    pass


def test_serve_answers_pages_static_and_health_then_stops_cleanly(served: Served) -> None:
    with httpx.Client(base_url=served.base, timeout=30, follow_redirects=True) as client:
        home = client.get("/")
        assert home.status_code == 200
        assert home.url.path == reverse("console:login"), served.output()
        assert 'type="password"' in home.text

        portal = client.get("/portal/")
        assert portal.status_code == 200

        css = client.get("/static/kesu/kesu.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")

    # The worker announces itself with a heartbeat through the file broker at start-up.
    deadline = time.monotonic() + START_SECONDS
    while True:
        status = subprocess.run(kesu("status"), env={**served.env, "KESU_LANGUAGE": "zh-hans"},
                                capture_output=True, text=True,
                                timeout=60)
        if status.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert status.returncode == 0, status.stdout + status.stderr + served.output()
    assert "状态：正常" in status.stdout  # the CLI speaks Chinese by default
    assert "文件系统（内置）" in status.stdout

    children = psutil.Process(served.proc.pid).children(recursive=True)
    assert len(children) >= 4  # gunicorn master + 2 workers, celery main + pool
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=60) == 0, served.output()
    assert "kesu serve: stopped." in served.output()
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    with socket.socket() as s:  # the port is free again
        s.bind(("127.0.0.1", served.port))


def test_serve_refuses_a_busy_port(tmp_path: Path, embedded_env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(kesu("serve", "--port", str(port)), env=embedded_env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr
    assert "Booting worker" not in result.stderr + result.stdout  # nothing was started


def test_serve_stops_the_web_server_when_the_worker_dies(served: Served) -> None:
    children = psutil.Process(served.proc.pid).children()
    worker = next(c for c in children if "celery" in " ".join(c.cmdline()))
    web_tree = [c for c in children if c.pid != worker.pid]
    web_tree += [g for c in web_tree for g in c.children(recursive=True)]

    worker.kill()

    assert served.proc.wait(timeout=60) == 1, served.output()
    assert "the Celery worker exited with code -9" in served.output()
    _gone, alive = psutil.wait_procs(web_tree, timeout=10)
    assert alive == []


def test_init_trains_the_starter_model_once(embedded_env: dict[str, str], tmp_path: Path) -> None:
    """So that no web worker trains it (and keeps scikit-learn loaded) on the first intake."""
    root = tmp_path / "data" / "triage" / "models"
    version = (root / "current").read_text().strip()
    assert (root / version / "serving.npz").is_file()

    again = subprocess.run(kesu("init"), env=embedded_env, cwd=tmp_path, check=True, timeout=180,
                           capture_output=True, text=True)

    assert len(again.stdout.strip().splitlines()) == 1, again.stdout  # "database ready": nothing trained
    assert (root / "current").read_text().strip() == version
    assert [p.name for p in root.iterdir() if p.is_dir()] == [version]
