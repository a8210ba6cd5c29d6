"""API case creation in-process: CPU per create (this process and its PostgreSQL backend),
SQL statements per create, and optionally a cProfile of the loop.

Runs ``POST /api/v1/cases`` through ``django.test.Client`` with a bearer token, so URL
routing, middleware, ninja, the action and the response are all included; only the HTTP
server (gunicorn) is not. Uses the bodies of ``bench_server.py`` (``--body repeat|fresh``).
The cases are created for real: use a bench database, not one you care about.

    KESU_DATA_DIR=/tmp/kb KESU_DATABASE_URL=postgres://kesu:kesu@127.0.0.1:5432/kesu_create_20k \\
        .venv/bin/python bench/profile_create.py --n 300 --body fresh [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_server


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a local process, e.g. this connection's PostgreSQL backend."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: Steps of a create whose CPU ``--breakdown`` reports (inclusive: a step's time includes its callees').
STEPS = (
    "kesu.cases.actions:_validate", "kesu.cases.numbering:next_case_number",
    "kesu.customers.actions:do_find_or_create_customer", "kesu.cases.actions:_insert_case",
    "kesu.cases.intake_triage:triage_new_case", "kesu.triage.related:find_related",
    "kesu.triage.actions:do_triage_case", "kesu.triage.service:suggest_many",
    "kesu.cases.actions_links:do_link_related", "kesu.cases.effects:after_change",
    "kesu.cases.events:append", "kesu.cases.actions:_claim_key", "kesu.cases.presenters:case_dict",
    "kesu.cases.api:create_case", "kesu.api.main:BearerToken.authenticate",
)


def instrument(spent: Counter[str], steps: tuple[str, ...] = STEPS) -> None:
    """Wrap each of ``steps`` where it is looked up (its module) to add its CPU time to ``spent``."""
    import functools
    import importlib

    for step in steps:
        module_name, name = step.split(":")
        module = importlib.import_module(module_name)
        owner, attr = module, name
        if "." in name:
            cls, attr = name.split(".")
            owner = getattr(module, cls)
        real = getattr(owner, attr)

        def timed(*args: object, _real: object = real, _step: str = step, **kwargs: object) -> object:
            t0 = time.process_time()
            try:
                return _real(*args, **kwargs)  # type: ignore[operator]
            finally:
                spent[_step] += time.process_time() - t0

        functools.update_wrapper(timed, real)
        setattr(owner, attr, timed)
        for mod in list(sys.modules.values()):  # modules that imported the name directly
            kesu_module = getattr(mod, "__name__", "").startswith("kesu.")
            if "." not in name and kesu_module and getattr(mod, name, None) is real:
                setattr(mod, name, timed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="timed creates (after 20 untimed)")
    ap.add_argument("--body", choices=("repeat", "fresh"), default="fresh")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--profile", help="write a cProfile of the timed loop here and print its top")
    ap.add_argument("--sql", action="store_true", help="print the statements of one create")
    ap.add_argument("--batch", type=int, default=0,
                    help="also report CPU per create of batches of this many (min, lower quartile, median)")
    ap.add_argument("--steps", default="", help="more steps for --breakdown: module:function,…")
    ap.add_argument("--breakdown", action="store_true", help="CPU per create of the main steps (inclusive)")
    args = ap.parse_args()
    bench_server.BODY = args.body
    bench_server.setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    spent: Counter[str] = Counter()
    if args.breakdown:
        import kesu.urls  # noqa: F401 - the API's modules, so that their imported names are wrapped

        instrument(spent, STEPS + tuple(s for s in args.steps.split(",") if s))
    token = bench_server.api_token(args.user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    run = uuid.uuid4().hex[:6]

    def create(i: int) -> None:
        r = client.post("/api/v1/cases", data=json.dumps(bench_server.case_body(i, run)),
                        content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
        assert r.status_code == 201, r.content[:300]

    for i in range(20):
        create(i)
    with CaptureQueriesContext(connection) as q:
        create(20)
    kinds = Counter(s["sql"].split()[0].upper() for s in q.captured_queries)
    print(f"statements per create: {len(q.captured_queries)} ({dict(kinds)})")
    if args.sql:
        for s in q.captured_queries:
            print("  ", s["sql"][:200])
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 0")
        pg = cur.fetchone()[0]
    spent.clear()
    prof = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not waits
    db0, cpu0, t0 = backend_cpu(pg) if pg else 0.0, time.process_time(), time.perf_counter()
    if prof:
        prof.enable()
    batches: list[tuple[float, float]] = []  # (web, db) CPU seconds per create of each batch
    b_web, b_db = cpu0, db0
    for i in range(21, 21 + args.n):
        create(i)
        if args.batch and (i - 20) % args.batch == 0:
            now_web, now_db = time.process_time(), backend_cpu(pg) if pg else 0.0
            batches.append(((now_web - b_web) / args.batch, (now_db - b_db) / args.batch))
            b_web, b_db = now_web, now_db
    if prof:
        prof.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    db = (backend_cpu(pg) - db0) if pg else 0.0
    print(f"{args.n} creates ({args.body}): web {cpu / args.n * 1000:.2f} ms CPU, "
          f"db {db / args.n * 1000:.2f} ms CPU, wall {wall / args.n * 1000:.2f} ms per create; "
          f"load {os.getloadavg()[0]:.2f}")
    if batches:
        # On a shared machine the batches that other processes disturbed least are the fairest
        # comparison between two versions: the lower quartile of each, per create.
        webs, dbs = sorted(w for w, _d in batches), sorted(d for _w, d in batches)
        q = max(0, len(batches) // 4 - 1)
        print(f"  batches of {args.batch}: web min {webs[0] * 1000:.2f} / q1 {webs[q] * 1000:.2f} / "
              f"median {webs[len(webs) // 2] * 1000:.2f} ms; db min {dbs[0] * 1000:.2f} / "
              f"q1 {dbs[q] * 1000:.2f} / median {dbs[len(dbs) // 2] * 1000:.2f} ms")
    for step, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds / args.n * 1000:6.2f} ms  {step}")
    if prof and args.profile:
        prof.dump_stats(args.profile)
        stats = pstats.Stats(args.profile)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    main()
