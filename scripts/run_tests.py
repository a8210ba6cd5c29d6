"""The test legs of ``make test``: pytest on SQLite, then on PostgreSQL (+ Redis broker).

* SQLite leg (always): the embedded profile, browser tests included.
* PostgreSQL leg: when KESU_TEST_DATABASE_URL is set, with KESU_REDIS_URL set to
  KESU_TEST_REDIS_URL when that is set; browser tests are not repeated there.
* Under CI=true both URLs are required: a missing service is an error, not a skip.
* A pytest exit status of 5 (no tests collected) is a failure.

Extra arguments are passed to pytest (``make test PYTEST_ARGS="-k serve"``).
The data directory for test runs is KESU_TEST_DATA_DIR (default var/test), so a test run
never shares files (secret key, broker folders, test databases) with ``make run``'s var/.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [sys.executable, "-m", "pytest"]
#: pytest's closing line, with (default) or without (-q) the "=====" around it.
SUMMARY = re.compile(r"^(?:=+ )?((?:\d+ \w+(?:, )?)+.* in [\d.]+s.*?|no tests ran.*?)(?: =+)?$")
NO_TESTS = 5


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"KESU_DATABASE_URL", "KESU_REDIS_URL", "KESU_CELERY_EAGER"}}
    data_dir = Path(os.environ.get("KESU_TEST_DATA_DIR") or ROOT / "var" / "test")
    (data_dir / "static").mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is absent
    env["KESU_DATA_DIR"] = str(data_dir)
    env.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    return env


def run_leg(name: str, env: dict[str, str], args: list[str]) -> tuple[int, str]:
    cmd = [*PYTEST, *args]
    print(f"\n=== make test: {name} leg: {shlex.join(cmd[2:])}", flush=True)
    started = time.monotonic()
    summary = "(no summary line)"
    with subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            if match := SUMMARY.match(line.strip()):
                summary = match.group(1)
        code = proc.wait()
    if code == NO_TESTS:
        summary += " — pytest collected no tests, which counts as a failure"
    print(f"=== make test: {name} leg: exit {code} in {time.monotonic() - started:.0f} s", flush=True)
    return code, summary


def main() -> int:
    extra = sys.argv[1:]
    ci = os.environ.get("CI") == "true"
    pg_url = os.environ.get("KESU_TEST_DATABASE_URL", "")
    redis_url = os.environ.get("KESU_TEST_REDIS_URL", "")
    if ci and not (pg_url and redis_url):
        missing = [n for n, v in (("KESU_TEST_DATABASE_URL", pg_url),
                                  ("KESU_TEST_REDIS_URL", redis_url)) if not v]
        print(f"make test: CI=true but {' and '.join(missing)} not set; the PostgreSQL/Redis leg "
              "is required in CI (.ci/run starts both services).", file=sys.stderr)
        return 2

    results: list[tuple[str, int, str]] = []
    sqlite_env = base_env()
    code, summary = run_leg("SQLite", sqlite_env, extra)
    results.append(("SQLite (embedded, browser tests included)", code, summary))

    if pg_url:
        pg_env = base_env()
        pg_env["KESU_DATABASE_URL"] = pg_url
        if redis_url:
            pg_env["KESU_REDIS_URL"] = redis_url
        label = "PostgreSQL" + (" + Redis broker" if redis_url else " (no Redis: file broker)")
        code, summary = run_leg(label, pg_env, ["-m", "not browser", *extra])
        results.append((label, code, summary))

    print("\n=== make test: summary")
    for label, code, summary in results:
        verdict = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"  {label}: {verdict}: {summary}")
    counts = {word: 0 for word in ("passed", "failed", "error", "skipped")}
    for _label, _code, summary in results:
        for number, word in re.findall(r"(\d+) (passed|failed|errors?|skipped)", summary):
            counts[word.rstrip("s") if word.startswith("error") else word] += int(number)
    if not pg_url:
        print("  PostgreSQL leg: NOT RUN — set KESU_TEST_DATABASE_URL (and KESU_TEST_REDIS_URL) to "
              "run it, e.g. KESU_TEST_DATABASE_URL=postgres://kesu:kesu@127.0.0.1:5432/kesu "
              "KESU_TEST_REDIS_URL=redis://127.0.0.1:6379/15 make test")
    print(f"total: {counts['passed']} passed, {counts['failed'] + counts['error']} failed, "
          f"{counts['skipped']} skipped")
    return 0 if all(code == 0 for _label, code, _summary in results) else 1


if __name__ == "__main__":
    sys.exit(main())
