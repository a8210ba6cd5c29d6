"""Benchmark ``kesu demo``'s load: wall and CPU time and the number of SQL statements.

Runs ``kesu.core.demo.load_demo`` (what ``kesu demo`` runs) into the database of the
environment, which must be freshly initialised (``kesu init``) and hold no demo yet:

    rm -rf /tmp/kb-demo && KESU_DATA_DIR=/tmp/kb-demo KESU_ADMIN_PASSWORD=admin-pass-12345 .venv/bin/kesu init
    KESU_DATA_DIR=/tmp/kb-demo .venv/bin/python bench/bench_demo.py --cases 2000

SQLite runs in this process, so its CPU time is the whole cost. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=2000)
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    from kesu.cases.models import CaseEvent, CaseMessage
    from kesu.core.demo import load_demo

    count = [0]

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    load = os.getloadavg()[0]
    t, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counter):
        load_demo(cases=args.cases, password="demo-pass-123456")
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    print(f"{connection.vendor}: {args.cases} cases, {CaseEvent.objects.count()} events, "
          f"{CaseMessage.objects.count()} messages in {wall:.1f} s wall, {cpu:.1f} s CPU of this process, "
          f"{count[0]} SQL statements; load average before/after {load:.1f}/{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
