"""DBOS Transact (SQLite system database) running the same workloads as our engine:
a 10-step durable workflow whose steps each commit a tiny SQLite write, and
start → first-step latency. Run with the peers' environment (see bench/compare.py).

usage: python dbos_workloads.py WORKDIR RUNS LATENCY_SAMPLES  → one JSON line
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import sys
import threading
import time
from pathlib import Path

from dbos import DBOS

WORK = Path(sys.argv[1])
RUNS, SAMPLES = int(sys.argv[2]), int(sys.argv[3])
SIDE = WORK / "dbos-side.db"
_local = threading.local()
first_step: dict[str, float] = {}

DBOS(
    config={
        "name": "bench",
        "system_database_url": os.environ.get("BENCH_DBOS_SYS_DB")
        or f"sqlite:///{WORK / 'dbos-sys.db'}",
        "log_level": "WARNING",
    }
)


def side() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(SIDE, isolation_level=None, timeout=30)
        conn.execute("pragma journal_mode=wal")
        conn.execute("pragma synchronous=normal")
        _local.conn = conn
    return conn


@DBOS.step()
def write(run: str, s: int) -> None:
    side().execute("insert into w values (?, ?)", (run, s))


@DBOS.workflow()
def ten(run: str) -> None:
    for s in range(10):
        write(run, s)


@DBOS.step()
def mark(key: str) -> None:
    first_step.setdefault(key, time.perf_counter())


@DBOS.workflow()
def lat(key: str) -> None:
    mark(key)


def main() -> None:
    sqlite3.connect(SIDE).execute("create table w (run text, step int)").connection.commit()
    DBOS.launch()
    samples = []
    for i in range(SAMPLES):
        t0 = time.perf_counter()
        DBOS.start_workflow(lat, str(i)).get_result()
        samples.append((first_step[str(i)] - t0) * 1000)
    samples.sort()
    t0 = time.perf_counter()
    handles = [DBOS.start_workflow(ten, f"r{i}") for i in range(RUNS)]
    for h in handles:
        h.get_result()
    elapsed = time.perf_counter() - t0
    rows = side().execute("select count(*) from w").fetchone()[0]
    print(
        json.dumps(
            {
                "engine": "dbos",
                "steps_per_s": rows / elapsed,
                "runs_per_s": RUNS / elapsed,
                "p50_ms": statistics.median(samples),
                "p99_ms": samples[max(0, int(len(samples) * 0.99) - 1)],
                "rows": rows,
            }
        )
    )
    DBOS.destroy()


if __name__ == "__main__":
    main()
