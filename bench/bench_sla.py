"""Benchmark the SLA sweep and the recomputation of deadlines after a calendar change.

Loads N open cases (default 1,000,000) with one running clock each into a *fresh* database;
the cases of one region (default 100,000) carry all five policy clocks. ``--due`` clocks
(default 10,000) are past due. Then it times:

1. ONE sweep (``do_sweep_clocks``): finds the due clocks through the partial index, marks
   each once, writes the case events, escalates every case one level (store heads exist) and
   writes the notification outbox rows; then a second sweep, which must mark nothing;
2. the working-time arithmetic alone for the region's clocks (pure Python);
3. ``do_recompute_deadlines`` for the region after a calendar change (its open clocks).

    KESU_DATA_DIR=/tmp/kesu-bench-sla KESU_DATABASE_URL=postgres://kesu:kesu@127.0.0.1:5432/kesu_bench_sla \\
        .venv/bin/python bench/bench_sla.py --load
    KESU_DATA_DIR=/tmp/kesu-bench-sla-sqlite .venv/bin/python bench/bench_sla.py --load --n 200000

``--load`` drops and recreates the database named in the URL (or the SQLite file).
``--reset`` (PostgreSQL) puts a loaded database back as ``--load`` left it — marks, events,
escalations, notifications, the bench's calendar day and the recomputed deadlines — so that the
sweep can be measured again without reloading (a minute and a half for 1,000,000 cases).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")

NOW = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)  # Tue 10:00 in Shanghai
REGIONS, STORES = 10, 10


def fresh_database() -> None:
    from django.conf import settings

    url = os.environ.get("KESU_DATABASE_URL")
    if url:
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        from pathlib import Path

        for suffix in ("", "-wal", "-shm"):
            Path(settings.DATABASES["default"]["NAME"] + suffix).unlink(missing_ok=True)  # type: ignore[attr-defined]


def load(n: int, region_cases: int, due: int, seed: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from kesu.cases.models import Case
    from kesu.core.defaults import install_defaults
    from kesu.org.actions import NewUser, do_create_org_unit, do_create_user
    from kesu.org.choices import UnitKind
    from kesu.org.models import OrgUnit
    from kesu.sla.choices import POLICY_CLOCKS
    from kesu.sla.defaults import install_sla_defaults
    from kesu.sla.models import CaseClock

    call_command("migrate", verbosity=0)
    install_defaults("bench-admin-123")
    install_sla_defaults()
    hq = OrgUnit.objects.get(code="HQ")
    stores: list[list[OrgUnit]] = []
    for r in range(REGIONS):
        region = do_create_org_unit(
            code=f"R{r}", name=f"大区{r}", kind=UnitKind.REGION, parent=hq, actor=None
        )
        stores.append([])
        for s in range(STORES):
            store = do_create_org_unit(
                code=f"R{r}S{s}", name=f"门店{r}-{s}", kind=UnitKind.STORE, parent=region, actor=None
            )
            stores[r].append(store)
            do_create_user(
                NewUser(
                    username=f"head-{r}-{s}",
                    role="department_head",
                    org_unit_code=store.code,
                    password="bench-pass-123",
                ),
                actor=None,
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("DROP INDEX IF EXISTS cases_case_search_grams")
    if connection.vendor == "postgresql":
        load_sql(n, region_cases, due, [[u.pk for u in region] for region in stores])
        return
    rng = random.Random(seed)
    due_ids = set(rng.sample(range(n), due))
    t0 = time.perf_counter()
    batch_size = 10000
    for first in range(0, n, batch_size):
        cases, clocks = [], []
        for i in range(first, min(first + batch_size, n)):
            region = 0 if i < region_cases else 1 + i % (REGIONS - 1)
            received = NOW - timedelta(minutes=rng.randrange(60, 60 * 24 * 5))
            cases.append(
                Case(
                    number=f"KS-202610-{i:07d}",
                    received_at=received,
                    channel="phone",
                    kind="complaint",
                    status="new",
                    title="包装破损",
                    description="包装破损",
                    org_unit=stores[region][i % STORES],
                    tracking_token=f"bench-{i}",
                    demands=[],
                    missing_fields=[],
                )
            )
        with transaction.atomic():
            created = Case.objects.bulk_create(cases)
            for i, case in enumerate(created, start=first):
                codes = POLICY_CLOCKS if i < region_cases else ("handling",)
                for code in codes:
                    late = i in due_ids and code == "handling"
                    due_at = (
                        NOW - timedelta(minutes=5) if late else NOW + timedelta(days=rng.randrange(1, 20))
                    )
                    clocks.append(
                        CaseClock(
                            case=case,
                            code=code,
                            amount=2,
                            unit="days",
                            warn_percent=80,
                            started_at=case.received_at,
                            due_at=due_at,
                            warn_at=due_at - timedelta(hours=1),
                        )
                    )
            CaseClock.objects.bulk_create(clocks, batch_size=10000)
        if (first + batch_size) % 100000 == 0:
            print(f"  loaded {first + batch_size} cases in {time.perf_counter() - t0:.0f}s", flush=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE" if connection.vendor != "postgresql" else "VACUUM ANALYZE")
    print(
        f"loaded {n} cases, {CaseClock.objects.count()} open clocks in {time.perf_counter() - t0:.0f}s",
        flush=True,
    )


def load_sql(n: int, region_cases: int, due: int, stores: list[list[int]]) -> None:
    """PostgreSQL: generate the rows in SQL (``INSERT … SELECT generate_series``), ~50× faster
    than ORM inserts. Case ``i`` < ``region_cases`` is in region R0 and has all five clocks;
    every (n // due)-th case has a past-due handling clock."""
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'cases_case' "
            "AND is_nullable = 'NO' AND column_default IS NULL AND column_name <> 'id'"
        )
        special = {
            "number": "'KS-202610-' || lpad(i::text, 7, '0')",
            "received_at": "%(now)s::timestamptz - ((i %% 7200) + 60) * interval '1 minute'",
            "created_at": "now()",
            "updated_at": "now()",
            "channel": "'phone'",
            "kind": "'complaint'",
            "status": "'new'",
            "title": "'包装破损'",
            "description": "'包装破损'",
            "tracking_token": "'bench-' || i",
            "org_unit_id": "(%(region0)s)[1 + i %% 10]",
        }
        cols, exprs = [], []
        for name, data_type in cur.fetchall():
            cols.append(name)
            exprs.append(
                special.get(name)
                or {"jsonb": "'[]'::jsonb", "integer": "0", "bigint": "0", "boolean": "false"}.get(
                    data_type, "''"
                )
            )
        others = [u for region in stores[1:] for u in region]
        exprs[cols.index("org_unit_id")] = (
            "CASE WHEN i < %(region_cases)s THEN (%(region0)s::bigint[])[1 + i %% 10] "
            "ELSE (%(others)s::bigint[])[1 + i %% " + str(len(others)) + "] END"
        )
        cur.execute("ALTER TABLE cases_case DISABLE TRIGGER USER")
        cur.execute(
            f"INSERT INTO cases_case ({', '.join(cols)}) SELECT {', '.join(exprs)} "
            "FROM generate_series(0, %(last)s) AS i",
            {"now": NOW, "region0": stores[0], "others": others, "region_cases": region_cases, "last": n - 1},
        )
        cur.execute("ALTER TABLE cases_case ENABLE TRIGGER USER")
        print(f"  {n} cases in {time.perf_counter() - t0:.0f}s", flush=True)
        every = max(n // due, 1)
        cur.execute(
            """
            INSERT INTO sla_caseclock (case_id, code, amount, unit, warn_percent, started_at, due_at, warn_at,
                                       paused_us, state, escalation_level, notify_pending)
            SELECT c.id, code, 2, 'days', 80, c.received_at, d.due, d.due - interval '1 hour',
                   0, 'running', 0, false
            FROM (SELECT id, received_at, substr(number, 11)::int AS i FROM cases_case) AS c
            CROSS JOIN LATERAL unnest(CASE WHEN c.i < %(region_cases)s
                THEN ARRAY['relay', 'first_response', 'handling', 'reply', 'callback']
                ELSE ARRAY['handling'] END) AS code
            CROSS JOIN LATERAL (SELECT CASE WHEN code = 'handling' AND c.i %% %(every)s = 0
                THEN %(now)s::timestamptz - interval '5 minutes'
                ELSE %(now)s::timestamptz + (1 + c.i %% 19) * interval '1 day' END AS due) AS d
            """,
            {"region_cases": region_cases, "every": every, "now": NOW},
        )
        cur.execute("VACUUM ANALYZE")
    print(f"loaded {n} cases and their clocks in {time.perf_counter() - t0:.0f}s", flush=True)


def reset(n: int, due: int) -> None:
    """Undo what ``measure`` wrote; the deadlines come back from the same formula as ``load``."""
    from django.db import connection, transaction

    t0 = time.perf_counter()
    every = max(n // due, 1)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM sla_escalation_targets")
        cur.execute("DELETE FROM sla_escalation")
        cur.execute("DELETE FROM cases_caseevent")
        cur.execute("UPDATE cases_case SET event_count = 0, last_event_hash = '' WHERE event_count <> 0")
        cur.execute("DELETE FROM notify_outbox")
        cur.execute("DELETE FROM notify_notification")
        cur.execute("DELETE FROM sla_calendarday WHERE name = 'bench'")
        due_sql = (
            "CASE WHEN k.code = 'handling' AND c.i %% %(every)s = 0 "
            "THEN %(now)s::timestamptz - interval '5 minutes' "
            "ELSE %(now)s::timestamptz + (1 + c.i %% 19) * interval '1 day' END"
        )
        cur.execute(
            f"""
            UPDATE sla_caseclock AS k
               SET breached_at = NULL, warned_at = NULL, escalation_level = 0, notify_pending = false,
                   state = 'running', due_at = {due_sql}, warn_at = {due_sql} - interval '1 hour'
              FROM (SELECT id, substr(number, 11)::int AS i FROM cases_case) AS c
             WHERE k.case_id = c.id
               AND (k.breached_at IS NOT NULL OR k.warned_at IS NOT NULL OR k.due_at <> {due_sql})
            """,
            {"every": every, "now": NOW},
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE sla_caseclock")
        cur.execute("VACUUM ANALYZE cases_case")
    from kesu.sla import calendars

    calendars.bump_generation()
    print(f"reset in {time.perf_counter() - t0:.0f}s", flush=True)


def measure(region_cases: int, *, sweep_only: bool = False) -> None:
    from django.db import connection

    from kesu.cases.models import CaseEvent
    from kesu.org.models import OrgUnit
    from kesu.sla.actions import deadlines
    from kesu.sla.actions_sweep import do_recompute_deadlines, do_sweep_clocks
    from kesu.sla.calendars import calendar_lookup
    from kesu.sla.models import CaseClock, Escalation

    print(
        f"{connection.vendor}: {CaseClock.objects.filter(stopped_at__isnull=True).count()} open clocks, "
        f"{CaseClock.objects.filter(stopped_at__isnull=True, due_at__lt=NOW).count()} past due"
    )
    events0 = CaseEvent.objects.count()
    t = time.perf_counter()
    result = do_sweep_clocks(now=NOW)
    sweep_s = time.perf_counter() - t
    print(
        f"sweep: {sweep_s:.2f} s — {result.breached} breached, {result.escalated} escalated, "
        f"{result.warned} warned; {CaseEvent.objects.count() - events0} events, "
        f"{Escalation.objects.count()} escalations"
    )
    if sweep_only:
        return
    from kesu.sla.actions_sweep import do_send_sla_notifications

    t = time.perf_counter()
    sent = do_send_sla_notifications()
    print(
        f"notifications of the marks: {sent} in {time.perf_counter() - t:.1f} s (kesu.notify, one call each)"
    )
    t = time.perf_counter()
    again = do_sweep_clocks(now=NOW)
    print(
        f"second sweep: {time.perf_counter() - t:.3f} s — {again.breached} breached, {again.warned} warned "
        "(must be 0)"
    )

    region = OrgUnit.objects.get(code="R0")
    rows = list(
        CaseClock.objects.filter(
            stopped_at__isnull=True, case__org_unit__path__startswith=region.path
        ).values_list("case__org_unit_id", "started_at", "amount", "unit", "paused_us", "warn_percent")
    )
    t = time.perf_counter()
    lookup = calendar_lookup()
    for unit_id, started, amount, unit, paused, percent in rows:
        deadlines(lookup(unit_id), started, amount, unit, paused, percent)
    print(f"arithmetic only: {len(rows)} deadlines in {time.perf_counter() - t:.2f} s")

    from kesu.sla import calendars
    from kesu.sla.actions_admin import DayInput, do_set_calendar_days
    from kesu.sla.models import Calendar

    cal = Calendar.objects.get(org_unit__code="HQ")
    do_set_calendar_days(cal, [DayInput(date(2026, 10, 21), "holiday", "bench")], actor=None, recompute="no")
    calendars.bump_generation()
    t = time.perf_counter()
    done = do_recompute_deadlines(unit=region)
    print(
        f"recompute after a calendar change: {done} clocks of {region_cases} open cases "
        f"in {time.perf_counter() - t:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--load", action="store_true", help="drop, recreate and load the database first")
    parser.add_argument("--n", type=int, default=1_000_000, help="open cases (one clock each)")
    parser.add_argument("--region-cases", type=int, default=100_000, help="cases with all five clocks")
    parser.add_argument("--due", type=int, default=10_000, help="clocks past due")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reset", action="store_true", help="undo an earlier measurement (PostgreSQL)")
    parser.add_argument("--sweep-only", action="store_true", help="measure the sweep and stop")
    args = parser.parse_args()
    if args.load:
        fresh_database()
    import django

    django.setup()
    if args.load:
        load(args.n, args.region_cases, args.due, args.seed)
    elif args.reset:
        reset(args.n, args.due)
    measure(args.region_cases, sweep_only=args.sweep_only)


if __name__ == "__main__":
    main()
