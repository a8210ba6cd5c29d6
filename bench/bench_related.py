"""Benchmark ``find_related`` (TR-5) at a million cases: latency p50/p95 and the query plans.

``--load`` drops and recreates the database named in KESU_DATABASE_URL (or the SQLite file
in KESU_DATA_DIR), migrates it and loads N generated complaints with customers and product
batches, skewed the way real data is: a few customers and batches have thousands of cases
(customer #0 about 2,000 at a million), most have one or two. Point it at its own database.

    KESU_DATA_DIR=/tmp/kesu-bench-related \
    KESU_DATABASE_URL=postgres://kesu:kesu@127.0.0.1:5432/kesu_bench_related \
        .venv/bin/python bench/bench_related.py --load --n 1000000
    # then, any time:
    KESU_DATA_DIR=/tmp/kesu-bench-related \
    KESU_DATABASE_URL=postgres://kesu:kesu@127.0.0.1:5432/kesu_bench_related \
        .venv/bin/python bench/bench_related.py --samples 1000

Measures three sets of cases, each ``find_related(case)`` with the case already loaded (as
at intake): random cases, the newest cases of the heaviest customers (the most candidates
to compare), and cases on the heaviest batches. Figures go into ADR 0009.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")

FINISHED = ["closed", "archived", "rejected"]
OPEN = ["new", "accepted", "assigned", "investigating", "solution_proposed", "replied", "awaiting_info"]


def skewed(rng: random.Random, n: int) -> int:
    """An index in [0, n) where small indexes are much more likely (P(0) ≈ 1/sqrt(n))."""
    return min(n - 1, int(n * rng.random() ** 2))


def load(n: int, customers: int, batches: int, seed: int) -> None:
    from bench_search import _fresh_database, complaint  # type: ignore[import-not-found]
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    name = settings.DATABASES["default"]["NAME"]
    if "bench" not in str(name):
        raise SystemExit(f"refusing to drop {name}: --load needs a database whose name contains 'bench'")
    _fresh_database(settings)
    import django

    django.setup()
    from kesu.cases.models import Case
    from kesu.core.defaults import install_defaults
    from kesu.customers.models import Customer
    from kesu.org.actions import do_create_org_unit
    from kesu.org.choices import UnitKind
    from kesu.org.models import OrgUnit

    call_command("migrate", verbosity=0)
    install_defaults("bench-admin-123")
    hq = OrgUnit.objects.get(code="HQ")
    units = [do_create_org_unit(code=f"S{s}", name=f"门店{s}", kind=UnitKind.STORE, parent=hq, actor=None)
             for s in range(20)]
    rng = random.Random(seed)
    t0 = time.perf_counter()
    Customer.objects.bulk_create(
        [Customer(name=f"客户{i}", phone=f"1{i:010d}", phone_key=f"1{i:010d}") for i in range(customers)],
        batch_size=10000)
    customer_ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    print(f"{customers} customers in {time.perf_counter() - t0:.0f}s", flush=True)
    pg = connection.vendor == "postgresql"
    if pg:
        with connection.cursor() as cur:
            cur.execute("DROP INDEX IF EXISTS cases_case_search_grams")
    start = datetime(2025, 11, 1, tzinfo=UTC)
    times = sorted(start + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(n))
    serial: dict[str, int] = {}
    rows: list[Case] = []
    for i, at in enumerate(times):
        title, description, name = complaint(rng)
        period = at.strftime("%Y%m")
        serial[period] = serial.get(period, 0) + 1
        rows.append(Case(
            number=f"KS-{period}-{serial[period]:05d}", received_at=at, channel="phone", kind="complaint",
            status=rng.choice(FINISHED) if rng.random() < 0.6 else rng.choice(OPEN),
            title=title, description=description, customer_name=name,
            customer_id=customer_ids[skewed(rng, customers)],
            product_batch=f"B{skewed(rng, batches):06d}" if rng.random() < 0.7 else "",
            org_unit=rng.choice(units), tracking_token=f"bench-{i}", demands=[], missing_fields=[],
        ))
        if len(rows) == 5000:
            with transaction.atomic():
                Case.objects.bulk_create(rows)
            rows = []
            if (i + 1) % 100000 == 0:
                print(f"  {i + 1} cases in {time.perf_counter() - t0:.0f}s", flush=True)
    if rows:
        Case.objects.bulk_create(rows)
    with connection.cursor() as cur:
        if pg:
            cur.execute("SET maintenance_work_mem = '1GB'")
            cur.execute("CREATE INDEX cases_case_search_grams ON cases_case USING gin (search_grams)")
            cur.execute("VACUUM ANALYZE cases_case")
        else:
            cur.execute("ANALYZE")
    print(f"loaded {n} cases in {time.perf_counter() - t0:.0f}s", flush=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(label: str, pks: list[int]) -> None:
    from kesu.cases.models import Case, LinkSettings
    from kesu.triage.related import find_related

    cfg = LinkSettings.current()
    lat, found = [], []
    for pk in pks:
        case = Case.objects.get(pk=pk)
        t = time.perf_counter()
        related = find_related(case, cfg=cfg)
        lat.append((time.perf_counter() - t) * 1000)
        found.append(len(related))
    print(f"{label:<34} n={len(pks):>5}  p50 {statistics.median(lat):7.2f} ms  p95 {pct(lat, 95):7.2f} ms  "
          f"max {max(lat):7.2f} ms  links/case {statistics.mean(found):6.1f}", flush=True)


def plans(customer_pk: int, batch_pk: int) -> None:
    """The two queries' plans, for the heaviest customer's and the heaviest batch's newest case:
    both must use the indexes of migration 0006."""
    from django.db import connection

    from kesu.cases.models import Case

    if connection.vendor != "postgresql":
        return
    case, in_batch = Case.objects.get(pk=customer_pk), Case.objects.get(pk=batch_pk)
    queries: list[tuple[str, list[Any]]] = [
        ("SELECT id, title, description FROM cases_case WHERE customer_id = %s AND received_at >= %s "
         "AND received_at <= %s AND kind <> 'praise' AND id <> %s ORDER BY received_at DESC LIMIT 200",
         [case.customer_id, case.received_at - timedelta(days=30), case.received_at, case.pk]),
        ("SELECT id FROM cases_case WHERE product_batch = %s AND NOT status IN ('closed','archived',"
         "'rejected') AND id <> %s ORDER BY received_at DESC LIMIT 50",
         [in_batch.product_batch, in_batch.pk]),
    ]
    with connection.cursor() as cur:
        for sql, args in queries:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, args)
            print("\n".join("    " + r[0] for r in cur.fetchall()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load", action="store_true", help="drop, create and load the database first")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--batches", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.load:
        load(args.n, args.customers, args.batches, args.seed)
    else:
        import django

        django.setup()
    from django.db import connection
    from django.db.models import Count, Max

    from kesu.cases.models import Case

    rng = random.Random(args.seed + 1)
    top = Case.objects.aggregate(m=Max("pk"))["m"]
    total = Case.objects.count()
    print(f"{connection.vendor}: {total} cases", flush=True)
    random_pks = [rng.randrange(1, top + 1) for _ in range(args.samples)]
    random_pks = list(Case.objects.filter(pk__in=random_pks).values_list("pk", flat=True))
    newest = Case.objects.order_by("-received_at")
    heavy_customers = list(Case.objects.exclude(customer=None).values("customer").annotate(n=Count("pk"))
                           .order_by("-n").values_list("customer", flat=True)[:20])
    heavy = [pk for c in heavy_customers
             for pk in newest.filter(customer_id=c).values_list("pk", flat=True)[:10]]
    heavy_batches = list(Case.objects.exclude(product_batch="").values("product_batch")
                         .annotate(n=Count("pk")).order_by("-n").values_list("product_batch", flat=True)[:20])
    batch = [pk for b in heavy_batches
             for pk in newest.filter(product_batch=b).values_list("pk", flat=True)[:10]]
    measure("warm-up", random_pks[:50])
    measure("random cases", random_pks)
    measure("heaviest customers' newest cases", heavy)
    measure("heaviest batches' newest cases", batch)
    plans(heavy[0], batch[0])


if __name__ == "__main__":
    main()
