"""Benchmark case search at scale: hit counts against the ``icontains`` truth, and latency.

Loads N generated complaints (default 1,000,000) into a *fresh* database, then times
``case_list(user, CaseFilter(q=...))`` — first page of 20 ordered by received_at desc plus
``count()`` — for a set of queries, and prints the true ``icontains`` count beside each hit
count. Point it at its own database, never a real one: ``--load`` drops and recreates it.

    # PostgreSQL (the database named in the URL is dropped and created):
    KESU_DATA_DIR=/tmp/kesu-bench KESU_DATABASE_URL=postgres://kesu:kesu@127.0.0.1:5432/kesu_bench_search \
        .venv/bin/python bench/bench_search.py --load --n 1000000
    # SQLite (the file in KESU_DATA_DIR is replaced):
    KESU_DATA_DIR=/tmp/kesu-bench-sqlite .venv/bin/python bench/bench_search.py --load --n 100000

Without ``--load`` it only measures the data already there. Figures go into ADR 0002.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")

QUERIES = [
    ("2-char common", "质量"),
    ("2-char rare", "蟑螂"),
    ("1 char", "霉"),
    ("1 char, very common", "的"),
    ("4-char phrase", "包装破损"),
    ("5-char phrase, rare", "甲醛超标了"),
    ("digits", "12315"),
    ("Latin, other case", "x200"),
    ("two terms", "退款 发霉"),
    ("customer name", "欧阳"),
    ("no hit", "火星快递"),
]

PRODUCTS = [
    "西湖龙井", "碧螺春", "铁观音", "普洱茶饼", "绿茶礼盒", "祁门红茶", "茉莉花茶", "茶具套装",
    "保温杯", "电热水壶", "空气炸锅", "电饭煲", "扫地机器人", "蓝牙耳机", "手机壳", "充电宝",
    "洗衣液", "面膜", "口红", "婴儿奶粉", "纸尿裤", "月饼礼盒", "坚果礼包", "牛肉干", "矿泉水",
    "酸奶", "速冻水饺", "大米", "食用油", "运动鞋", "羽绒服", "床上四件套", "台灯", "微波炉",
]
MODELS = ["X200", "A12-Pro", "M3", "K9 Max", "T-800", "Z5", "S10", "Q7 Lite", "P40"]
PROBLEMS = [
    "包装破损", "产品发霉了", "有一股异味", "漏液严重", "质量问题很大", "完全不能开机", "屏幕碎了",
    "少发了一件", "发错货了", "已经过期了", "里面有虫子", "颜色和图片不一样", "尺寸不符",
    "充不进电", "噪音特别大", "外壳掉漆", "生锈了", "缺少配件", "没有说明书", "味道不对",
    "质量太差", "用了两天就坏了", "快递太慢", "客服态度恶劣", "价格比别家贵", "发票开错了",
    "安装师傅迟到", "退款一直没到账", "赠品没有收到", "吃了以后肚子疼",
]
RARE = ["甲醛超标了", "发现蟑螂腿", "有玻璃碴", "蟑螂卵", "电池鼓包冒烟"]
OPENINGS = [
    "上周在{store}买的{product}，", "昨天收到快递，{product}", "我在你们官方旗舰店下单的{product}",
    "朋友送的{product}", "订单号{order}，购买的{product}", "{date}购买的{product}{model}，",
    "第二次买{product}了，这次", "家里老人用的{product}", "在{store}门店买的{model}型{product}，",
]
DETAILS = [
    "打开一看{problem}", "发现{problem}", "用了没几天就{problem}", "{problem}，而且{problem2}",
    "收到时{problem}，联系了客服也没有解决", "{problem}。之前也反映过类似的情况",
]
FEELINGS = [
    "非常生气", "很失望", "希望尽快处理", "请给个说法", "已经打了三次电话没人管",
    "再不处理就投诉到12315", "太让人失望了", "孩子都不敢用了", "", "",
]
DEMANDS = ["要求退款", "要求换货", "要求赔偿", "希望道歉", "要求补发", "要求上门维修", ""]
SURNAMES = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱",
            "胡", "郭", "何", "林", "罗", "高", "欧阳", "司马", "诸葛"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
         "明", "超", "秀英", "桂英", "建华", "小红", "志强", "海燕", "子涵", "浩然"]
STORES = ["南京路", "西湖", "天河", "春熙路", "解放碑", "五一广场", "中山路", "王府井"]


def complaint(rng: random.Random) -> tuple[str, str, str]:
    """One generated complaint: (title, description, customer name)."""
    product = rng.choice(PRODUCTS)
    problem, problem2 = rng.sample(PROBLEMS, 2)
    if rng.random() < 0.0005:
        problem = rng.choice(RARE)
    opening = rng.choice(OPENINGS).format(
        store=rng.choice(STORES) + "店", product=product, model=rng.choice(MODELS),
        order=f"{rng.randrange(10**11, 10**12)}", date=f"{rng.randrange(1, 13)}月{rng.randrange(1, 29)}日",
    )
    detail = rng.choice(DETAILS).format(problem=problem, problem2=problem2)
    parts = [opening + detail, rng.choice(FEELINGS), rng.choice(DEMANDS)]
    description = "，".join(p for p in parts if p) + "。"
    if rng.random() < 0.3:
        description += f"联系电话{rng.randrange(13000000000, 19999999999)}。"
    title = rng.choice([product + problem, problem, f"{product}{rng.choice(MODELS)}{problem}"])[:200]
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + ("先生" if rng.random() < 0.2 else "")
    return title, description, name


def setup_django(load: bool) -> None:
    import django
    from django.conf import settings

    if load:
        _fresh_database(settings)
    django.setup()


def _fresh_database(settings: object) -> None:
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


def load(n: int, seed: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from kesu.cases import search
    from kesu.cases.models import Case
    from kesu.core.defaults import install_defaults
    from kesu.org.actions import do_create_org_unit
    from kesu.org.choices import UnitKind
    from kesu.org.models import OrgUnit

    call_command("migrate", verbosity=0)
    install_defaults("bench-admin-123")
    hq = OrgUnit.objects.get(code="HQ")
    units = []
    for r in range(4):
        region = do_create_org_unit(code=f"R{r}", name=f"大区{r}", kind=UnitKind.REGION, parent=hq,
                                    actor=None)
        for s in range(10):
            units.append(do_create_org_unit(code=f"R{r}S{s}", name=f"门店{r}-{s}", kind=UnitKind.STORE,
                                            parent=region, actor=None))
    rng = random.Random(seed)
    start = datetime(2025, 11, 1, tzinfo=UTC)
    # received_at spread over a year; numbers serial per month like the real numbering.
    times = sorted(start + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(n))
    serial: dict[str, int] = {}
    pg = connection.vendor == "postgresql"
    t0 = time.perf_counter()
    if pg:  # build the GIN index once at the end: far faster than n incremental inserts
        with connection.cursor() as cur:
            cur.execute("DROP INDEX IF EXISTS cases_case_search_grams")

    def cases() -> Iterator[Case]:
        for i, at in enumerate(times):
            title, description, name = complaint(rng)
            period = at.strftime("%Y%m")
            serial[period] = serial.get(period, 0) + 1
            yield Case(
                number=f"KS-{period}-{serial[period]:05d}", received_at=at, channel="phone",
                kind=rng.choice(["complaint"] * 8 + ["suggestion", "inquiry"]),
                status=rng.choice(["new", "new", "awaiting_info"]), title=title,
                description=description, customer_name=name, org_unit=rng.choice(units),
                tracking_token=f"bench-{i}", demands=[], missing_fields=[],
            )

    batch: list[Case] = []
    done = 0
    for case in cases():
        batch.append(case)
        if len(batch) == 5000:
            with transaction.atomic():
                Case.objects.bulk_create(batch)
                if not pg:
                    search.index_cases(batch)
            done += len(batch)
            batch = []
            if done % 100000 == 0:
                print(f"  loaded {done} cases in {time.perf_counter() - t0:.0f}s", flush=True)
    if batch:
        with transaction.atomic():
            Case.objects.bulk_create(batch)
            if not pg:
                search.index_cases(batch)
    print(f"loaded {n} cases (indexed as they went in) in {time.perf_counter() - t0:.0f}s", flush=True)
    t1 = time.perf_counter()
    with connection.cursor() as cur:
        if pg:
            cur.execute("SET maintenance_work_mem = '1GB'")
            cur.execute("CREATE INDEX cases_case_search_grams ON cases_case USING gin (search_grams)")
            cur.execute("VACUUM ANALYZE cases_case")
        else:
            cur.execute("INSERT INTO cases_search_fts(cases_search_fts) VALUES ('optimize')")
            cur.execute("ANALYZE")
    print(f"index built/optimised and analysed in {time.perf_counter() - t1:.0f}s", flush=True)


def sizes() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("""SELECT pg_size_pretty(pg_table_size('cases_case')),
                                  pg_size_pretty(pg_relation_size('cases_case_search_grams')),
                                  pg_size_pretty(pg_database_size(current_database()))""")
            table, index, db = cur.fetchone()
            print(f"sizes: cases_case table {table}, GIN index {index}, database {db}")
        else:
            cur.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'cases_search%'")
            fts = cur.fetchone()[0] or 0
            cur.execute("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
            total = cur.fetchone()[0]
            print(f"sizes: search tables {fts / 2**20:.0f} MiB, database {total / 2**20:.0f} MiB")


def p95(lat: list[float]) -> float:
    ordered = sorted(lat)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def measure(repeat: int, scoped: bool) -> None:
    from django.db.models import Q

    from kesu.cases import search
    from kesu.cases.models import Case
    from kesu.cases.queries import CaseFilter, case_list
    from kesu.org.models import User

    admin = User.objects.get(username="admin")
    print(f"{Case.objects.count()} cases")
    users = [("admin", admin)]
    if scoped:
        from kesu.org.actions import NewUser, do_create_user

        region = User.objects.filter(username="bench_region").first() or do_create_user(
            NewUser(username="bench_region", role="cs_supervisor", org_unit_code="R1",
                    password="bench-pass-123"), actor=None)
        users.append(("region R1", region))
    print(f"{'query':<24} {'who':<10} {'hits':>7} {'truth':>7}  {'p50 ms':>7} {'p95 ms':>7}"
          f"  {'page p95':>8}  {'capped p95':>10}")
    for label, q in QUERIES:
        truth_q = Q()
        for term in q.split():
            truth_q &= search.contains_q(term)
        truth = Case.objects.filter(truth_q).count()
        for who, user in users:
            lat, page_lat, capped_lat = [], [], []
            for _ in range(repeat):
                t = time.perf_counter()
                qs = case_list(user, CaseFilter(q=q))  # includes the planning probe, if any
                page = list(qs[:20])
                t_page = time.perf_counter()
                hits = qs.count()
                lat.append(time.perf_counter() - t)
                page_lat.append(t_page - t)
                t = time.perf_counter()
                qs = case_list(user, CaseFilter(q=q))
                list(qs[:20])
                search.count_capped(qs)
                capped_lat.append(time.perf_counter() - t)
            shown_truth = truth if who == "admin" else "-"
            flag = "" if who != "admin" or hits == truth else "  MISMATCH"
            print(f"{label + ' ' + q:<24} {who:<10} {hits:>7} {shown_truth:>7}  "
                  f"{statistics.median(lat) * 1000:>7.1f} {p95(lat):>7.1f}  {p95(page_lat):>8.1f}"
                  f"  {p95(capped_lat):>10.1f}{flag}", flush=True)
            assert len(page) == min(20, hits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load", action="store_true", help="drop/create the database and load --n cases")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per query")
    parser.add_argument("--scoped", action="store_true", help="also time a region-scoped user")
    args = parser.parse_args()
    setup_django(args.load)
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    if args.load:
        load(args.n, args.seed)
    sizes()
    measure(args.repeat, args.scoped)


if __name__ == "__main__":
    main()
