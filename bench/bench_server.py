"""Benchmark a running kesu server: intake rate, list/search latency, web-process RSS.

Run against a server started with ``kesu serve`` (or gunicorn) on either database, with the
same KESU_* environment as the server so that true search counts can be read from the DB:

    KESU_DATA_DIR=... [KESU_DATABASE_URL=...] python bench/bench_server.py \
        --url http://127.0.0.1:8000 --user admin --password ... [--create 2000] [--queries 发霉,包装]

It prints one line per figure. Nothing here asserts; figures go into the issue note.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def summary(label: str, lat: list[float]) -> str:
    return (f"{label}: n={len(lat)} p50={pct(lat, 50):.1f}ms p95={pct(lat, 95):.1f}ms "
            f"p99={pct(lat, 99):.1f}ms")


def login(client: httpx.Client, user: str, password: str) -> None:
    page = client.get("/login/")
    token = client.cookies.get("csrftoken", "")
    r = client.post("/login/", data={"username": user, "password": password,
                                     "csrfmiddlewaretoken": token},
                    headers={"Referer": str(page.url)})
    if r.status_code not in (200, 302) or "sessionid" not in client.cookies:
        raise SystemExit(f"login as {user} failed ({r.status_code})")


def api_token(user: str) -> str:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")
    django.setup()
    from kesu.org.actions import do_create_token
    from kesu.org.models import User

    return do_create_token(User.objects.get(username=user), name="bench", actor=None)


def case_body(i: int) -> dict[str, object]:
    return {
        "kind": "complaint", "channel": "api", "title": f"压测客诉 {i}",
        "description": f"第{i}箱牛奶包装破损，有两盒漏液，希望换货。",
        "customer": {"name": "压测客户", "phone": f"137{i % 100000000:08d}"},
        "product": {"name": "纯牛奶 250ml", "batch": f"B{i % 97:04d}"},
        "demands": ["exchange"], "org_unit": "HQ",
    }


def bench_create(url: str, token: str, clients: int, total: int) -> None:
    lat: list[float] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}"}

    def one(i: int, http: httpx.Client) -> None:
        t0 = time.perf_counter()
        r = http.post("/api/v1/cases", json=case_body(i),
                      headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        dt = time.perf_counter() - t0
        if r.status_code != 201:
            raise SystemExit(f"create failed: {r.status_code} {r.text[:200]}")
        with lock:
            lat.append(dt)

    per = total // clients

    def run(c: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            for i in range(per):
                one(c * per + i, http)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, range(clients)))
    elapsed = time.perf_counter() - t0
    print(f"create clients={clients}: {len(lat) / elapsed:.0f} cases/s; " + summary("latency", lat))


def timed(fn: Callable[[], httpx.Response], n: int) -> list[float]:
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = fn()
        lat.append(time.perf_counter() - t0)
        if r.status_code != 200:
            raise SystemExit(f"request failed: {r.status_code} {r.text[:200]}")
    return lat


def true_count(query: str) -> int:
    from django.db.models import Q

    from kesu.cases.models import Case

    qs = Case.objects.all()
    for term in query.split():
        qs = qs.filter(Q(title__icontains=term) | Q(description__icontains=term)
                       | Q(customer_name__icontains=term))
    return qs.count()


class RssSampler(threading.Thread):
    """Samples the RSS of gunicorn worker processes while the benchmark runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for p in psutil.process_iter(["cmdline", "memory_info"]):
                cmd = " ".join(p.info["cmdline"] or [])
                if "gunicorn" in cmd and p.info["memory_info"]:
                    self.peak = max(self.peak, p.info["memory_info"].rss)
            time.sleep(0.2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default=os.environ.get("KESU_ADMIN_PASSWORD", ""))
    ap.add_argument("--create", type=int, default=2000, help="cases to create per client setting (0: skip)")
    ap.add_argument("--clients", default="1,8")
    ap.add_argument("--repeat", type=int, default=100)
    ap.add_argument("--queries", default="发霉,包装破损,霉,快递太慢,12315")
    args = ap.parse_args()

    token = api_token(args.user)
    sampler = RssSampler()
    sampler.start()
    from kesu.cases.models import Case

    print(f"cases in database: {Case.objects.count()}")
    if args.create:
        for c in (int(x) for x in args.clients.split(",")):
            bench_create(args.url, token, c, args.create)
    with httpx.Client(base_url=args.url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as api:
        print(summary("list API page 1", timed(lambda: api.get("/api/v1/cases"), args.repeat)))
        print(summary("list API page 50", timed(lambda: api.get("/api/v1/cases?page=50"), args.repeat)))
        for q in args.queries.split(","):
            hits = api.get("/api/v1/cases", params={"q": q}).json()["count"]
            lat = timed(lambda q=q: api.get("/api/v1/cases", params={"q": q}), max(args.repeat // 2, 10))
            truth = true_count(q)
            verdict = "OK" if hits == truth else "MISMATCH"
            print(summary(f"search {q!r} hits={hits} true={truth} {verdict}", lat))
    if args.password:
        with httpx.Client(base_url=args.url, timeout=60, follow_redirects=False) as page:
            login(page, args.user, args.password)
            print(summary("list page /cases/", timed(lambda: page.get("/cases/"), args.repeat)))
            lat = timed(lambda: page.get("/cases/?q=发霉"), args.repeat // 2)
            print(summary("search page /cases/?q=发霉", lat))
    sampler.stop.set()
    sampler.join()
    print(f"peak RSS of a web process: {sampler.peak / 1024 / 1024:.0f} MB")


if __name__ == "__main__":
    main()
