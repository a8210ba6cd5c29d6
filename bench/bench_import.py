"""Benchmark bulk import (IN-1, IN-7): rows per second and peak memory for an N-row CSV.

Generates a realistic CSV with Chinese headers (varied text from templates below, customers
that come back, a few bad rows) in a temporary directory, then imports it through the same
path as ``kesu import`` (``do_start_import`` + ``do_run_import``) into the database given by
the environment — SQLite in ``KESU_DATA_DIR`` or ``KESU_DATABASE_URL`` (PostgreSQL):

    KESU_DATA_DIR=/tmp/kb python bench/bench_import.py --rows 200000 --fresh
    KESU_DATA_DIR=/tmp/kb KESU_DATABASE_URL=postgres://kesu:kesu@127.0.0.1:5432/kesu_bench_import \
        python bench/bench_import.py --rows 200000 --fresh

``--fresh`` empties that database first (it must be a database kept for benchmarks). The
current RSS is printed at each progress step, to show that memory does not grow with the file.
Printed: rows/s (wall), this process's CPU seconds per 1,000 rows, the database server's CPU
(PostgreSQL backends of this benchmark, from /proc), peak RSS; then the triage backfill the
import leaves for the Celery task (ADR 0010), run here in-process and timed separately
(``--no-triage`` skips it). Nothing is asserted; the figures go into bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import psutil

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HEADER = [
    "受理时间",
    "渠道",
    "类型",
    "标题",
    "问题描述",
    "客户姓名",
    "联系电话",
    "邮箱",
    "客户级别",
    "客户类型",
    "产品名称",
    "规格型号",
    "批号",
    "数量",
    "不良数量",
    "订单号",
    "诉求",
    "情绪",
    "门店",
    "分类",
]
PRODUCTS = [
    ("西湖龙井", "250g 罐装"),
    ("碧螺春", "100g 袋装"),
    ("铁观音", "500g 礼盒"),
    ("普洱茶饼", "357g"),
    ("菊花茶", "50g"),
    ("茉莉花茶", "200g"),
    ("红茶礼盒", "2×150g"),
    ("白茶", "300g 饼"),
]
PROBLEMS = [
    ("包装破损", "收到的{p}外包装破损，{d}，希望尽快处理。", "packaging"),
    ("产品发霉", "打开{p}发现有霉点，{d}，家里老人差点喝了。", "product_quality"),
    ("物流太慢", "下单一周了{p}还没到，{d}，客服一直说在路上。", "delivery"),
    ("口感异常", "这批{p}口感偏酸，和以前买的不一样，{d}。", "product_quality"),
    ("少发货", "订了{q}件{p}只收到一部分，{d}。", "delivery"),
    ("服务态度差", "门店店员对{p}的问题爱答不理，{d}。", "service_attitude"),
    ("价格问题", "{p}活动价没有生效，多付了钱，{d}。", "price"),
    ("售后无人理", "{p}的售后电话一直打不通，{d}。", "after_sales"),
]
DETAILS = [
    "批号在罐底",
    "照片已经拍好",
    "已经是第二次了",
    "发票还在",
    "孩子也在喝",
    "周末才有时间",
    "之前一直很满意",
    "朋友推荐买的",
    "请尽快回电",
    "快递员说不是他的问题",
]
DEMANDS = ["退款", "换货", "道歉", "退款、道歉", "补货", "赔偿", "维修", "上门处理，道歉", "退货", ""]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超"]
CHANNELS = ["电话", "来访", "信函", "网站", "邮件", "电商", "微信", "钉钉", ""]
KINDS = ["投诉"] * 7 + ["建议", "表扬", "咨询"]
EMOTIONS = ["", "不满", "愤怒", "焦虑", "平静", "困惑"]
STORES = [f"S{i:03d}" for i in range(1, 21)]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    start = datetime(2025, 1, 1, 8, 0)
    span = int((datetime(2026, 6, 30) - start).total_seconds())
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(rows):
            product, spec = rnd.choice(PRODUCTS)
            title, text, category = rnd.choice(PROBLEMS)
            qty = rnd.randint(1, 20)
            # customers come back: a phone pool about a third the size of the file
            phone = f"1{rnd.choice('3578')}{rnd.randrange(max(rows // 3, 10)):09d}"
            name = (
                rnd.choice(SURNAMES) + rnd.choice(GIVEN) + (rnd.choice(GIVEN) if rnd.random() < 0.5 else "")
            )
            received = start + timedelta(seconds=rnd.randrange(span))
            description = text.format(p=product, d=rnd.choice(DETAILS), q=qty)
            if i % 5000 == 4999:
                description = ""  # a bad row now and then
            email = f"u{i}@example.cn" if rnd.random() < 0.2 else ""
            level = "VIP" if rnd.random() < 0.05 else "普通"
            out.writerow(
                [
                    received.strftime("%Y-%m-%d %H:%M"),
                    rnd.choice(CHANNELS),
                    rnd.choice(KINDS),
                    title,
                    description,
                    name,
                    phone,
                    email,
                    level,
                    "消费者",
                    product,
                    spec,
                    f"B{received:%Y%m}{rnd.randint(1, 9)}",
                    qty,
                    rnd.randint(0, qty),
                    f"JD{rnd.randrange(10**10):010d}",
                    rnd.choice(DEMANDS),
                    rnd.choice(EMOTIONS),
                    rnd.choice(STORES),
                    category,
                ]
            )


def setup_database(fresh: bool) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if fresh and not settings.IS_POSTGRES:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{settings.DATABASES['default']['NAME']}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    if fresh and settings.IS_POSTGRES:
        call_command("flush", interactive=False, verbosity=0)
    from kesu.core.defaults import install_defaults
    from kesu.org.actions import do_create_org_unit
    from kesu.org.choices import UnitKind
    from kesu.org.models import OrgUnit

    install_defaults("bench-admin-pass")
    hq = OrgUnit.objects.get(code="HQ")
    for code in STORES:
        if not OrgUnit.objects.filter(code=code).exists():
            do_create_org_unit(code=code, name=f"门店{code}", kind=UnitKind.STORE, parent=hq, actor=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--mode", choices=["good", "all"], default="good")
    parser.add_argument("--fresh", action="store_true", help="empty the benchmark database first")
    parser.add_argument("--no-triage", action="store_true", help="skip the triage backfill after the import")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"bench-{args.rows}.csv"
        t0 = time.monotonic()
        generate(path, args.rows)
        size = path.stat().st_size / 1e6
        print(f"generated {args.rows} rows, {size:.0f} MB in {time.monotonic() - t0:.1f}s")
        setup_database(args.fresh)
        from django.conf import settings

        from kesu.cases.actions_import import do_run_import, do_start_import, do_triage_import, triage_state
        from kesu.cases.models import Case, ImportJob
        from kesu.org.models import OrgUnit, User

        before = Case.objects.count()
        proc = psutil.Process()
        admin = User.objects.get(username="admin")
        mode = ImportJob.Mode.GOOD_ROWS if args.mode == "good" else ImportJob.Mode.ALL_OR_NOTHING

        def progress(phase: str, rows: int) -> None:
            rate = rows / (time.monotonic() - t0)
            rss = proc.memory_info().rss / 2**20
            print(f"  {phase} {rows:>9} rows  {rate:>8.0f} rows/s  rss {rss:.0f} MB", flush=True)

        load_before = os.getloadavg()[0]
        backends = BackendCpu()
        db0 = backends.total()
        t0, cpu0, workers0 = time.monotonic(), time.process_time(), children_cpu()
        with open(path, "rb") as f:
            job = do_start_import(
                f,
                name=path.name,
                mode=mode,
                org_unit=OrgUnit.objects.get(code="HQ"),
                actor=admin,
                enqueue=False,
            )
        job = do_run_import(job.pk, progress=progress, queue_triage=False)
        elapsed, cpu = time.monotonic() - t0, time.process_time() - cpu0
        workers_cpu = children_cpu() - workers0  # the import's worker processes, ended by now
        db_cpu = backends.total() - db0
        engine = "PostgreSQL" if settings.IS_POSTGRES else "SQLite"
        print(f"database: {engine}; mode: {args.mode}; state: {job.state}")
        print(
            f"rows: {job.total_rows}, imported: {job.imported_rows}, rejected: {job.error_rows}, "
            f"cases in db: {Case.objects.count() - before} new"
        )
        print(f"time: {elapsed:.1f}s; {job.total_rows / elapsed:.0f} rows/s")
        load_after = os.getloadavg()[0]
        print(
            f"this process's CPU: {cpu:.1f}s ({job.total_rows / cpu:.0f} rows per CPU second); "
            f"load average before/after: {load_before:.1f}/{load_after:.1f} on {os.cpu_count()} CPUs"
        )
        from kesu.cases.import_parallel import worker_count

        print(f"import workers: {worker_count()} (CPU {workers_cpu:.1f}s in all)")
        print(
            f"CPU per 1,000 rows: {(cpu + workers_cpu) / job.total_rows * 1000:.3f} s importer "
            f"({cpu / job.total_rows * 1000:.3f} s this process)"
            + (f" + {db_cpu / job.total_rows * 1000:.3f} s PostgreSQL" if settings.IS_POSTGRES else "")
        )
        own, worker = (resource.getrusage(who).ru_maxrss / 1024 for who in (resource.RUSAGE_SELF,
                                                                              resource.RUSAGE_CHILDREN))
        print(f"peak RSS: {own:.0f} MB (largest worker process: {worker:.0f} MB)")
        print(f"triage: {triage_state(job) or 'inline'}")
        if args.no_triage or triage_state(job) != "pending":
            backends.close()
            return
        t1, cpu1, db1 = time.monotonic(), time.process_time(), backends.total()
        result = do_triage_import(
            job.pk,
            progress=lambda phase, n: (
                print(f"  triage {n:>9} cases {n / (time.monotonic() - t1):>8.0f} cases/s", flush=True)
                if n % 100_000 == 0
                else None
            ),
        )
        t_elapsed, t_cpu, t_db = time.monotonic() - t1, time.process_time() - cpu1, backends.total() - db1
        n = result.triaged if result else 0
        per = 1000 / max(n, 1)
        print(
            f"triage backfill: {n} cases ({result.reclassified if result else 0} reclassified) in "
            f"{t_elapsed:.1f}s; {n / t_elapsed:.0f} cases/s; CPU per 1,000 cases: {t_cpu * per:.3f} s"
            + (f" + {t_db * per:.3f} s PostgreSQL" if settings.IS_POSTGRES else "")
            + f"; state: {triage_state(job)}"
        )
        print(f"peak RSS after triage: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        backends.close()


def children_cpu() -> float:
    """CPU seconds of this process's ended children (the import's worker processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class BackendCpu:
    """CPU seconds used by the PostgreSQL backends of this benchmark's database (0 on SQLite).

    Sampled from /proc every half second in a thread, so that a connection closed before the
    end (the import's writer thread has one of its own) is counted up to its last sample.
    Backends are told apart by their process title, which names the user and the database.
    """

    def __init__(self) -> None:
        from django.conf import settings

        self.name = settings.DATABASES["default"]["NAME"] if settings.IS_POSTGRES else ""
        self.seen: dict[tuple[int, str], float] = {}  # (pid, start time) → CPU seconds
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample_until_stopped, daemon=True)
        if self.name:
            self.sample()
            self.thread.start()

    def sample(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        for proc in psutil.process_iter(["pid", "cmdline"]):
            title = " ".join(proc.info["cmdline"] or [])
            if not title.startswith("postgres:") or f" {self.name} " not in title:
                continue
            try:
                fields = Path(f"/proc/{proc.info['pid']}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self.seen[(proc.info["pid"], fields[19])] = (int(fields[11]) + int(fields[12])) / tick

    def _sample_until_stopped(self) -> None:
        while not self.stop.wait(0.5):
            self.sample()

    def total(self) -> float:
        if self.name:
            self.sample()
        return sum(self.seen.values())

    def close(self) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()


if __name__ == "__main__":
    main()
