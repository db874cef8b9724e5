"""Celery + Redis running the same workloads: a 10-step "durable function" as a chain
of 10 tasks (acks_late: a step is acknowledged only after its SQLite write commits),
and enqueue → first-task latency. The worker runs in its own process
(prefork, concurrency 2). Run with the peers' environment (see bench/compare.py).

usage: python celery_workloads.py WORKDIR RUNS LATENCY_SAMPLES REDIS_URL → one JSON line
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from celery import Celery, chain

WORK = Path(os.environ.get("BENCH_WORK", "/tmp"))
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15")
SIDE = WORK / "celery-side.db"

app = Celery("bench", broker=REDIS)
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=4,
    task_ignore_result=True,
)


def _db() -> sqlite3.Connection:
    conn = sqlite3.connect(SIDE, isolation_level=None, timeout=30)
    conn.execute("pragma journal_mode=wal")
    conn.execute("pragma synchronous=normal")
    return conn


_conn: sqlite3.Connection | None = None


@app.task(name="bench.write")  # same name from __main__ and the worker
def write(run: str, s: int) -> None:
    global _conn
    _conn = _conn or _db()
    _conn.execute("insert into w values (?, ?, ?)", (run, s, time.time()))


def main() -> None:
    runs, samples_n = int(sys.argv[2]), int(sys.argv[3])
    sqlite3.connect(SIDE).execute(
        "create table w (run text, step int, at real)"
    ).connection.commit()
    app.control.purge()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "celery_workloads",
            "worker",
            "--loglevel=ERROR",
            "--concurrency=2",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=Path(__file__).parent,
        env={**os.environ, "BENCH_WORK": str(WORK)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        db = _db()
        time.sleep(3)  # worker boot
        lat = []
        for i in range(samples_n):
            t0 = time.time()
            write.delay(f"lat{i}", 0)
            while True:
                row = db.execute("select at from w where run = ?", (f"lat{i}",)).fetchone()
                if row:
                    lat.append((row[0] - t0) * 1000)
                    break
                time.sleep(0.0005)
        lat.sort()
        t0 = time.perf_counter()
        for i in range(runs):
            chain(*(write.si(f"r{i}", s) for s in range(10))).delay()
        while db.execute("select count(*) from w where run like 'r%'").fetchone()[0] < runs * 10:
            time.sleep(0.01)
        elapsed = time.perf_counter() - t0
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print(
        json.dumps(
            {
                "engine": "celery",
                "steps_per_s": runs * 10 / elapsed,
                "runs_per_s": runs / elapsed,
                "p50_ms": statistics.median(lat),
                "p99_ms": lat[max(0, int(len(lat) * 0.99) - 1)],
            }
        )
    )


if __name__ == "__main__":
    os.environ.setdefault("BENCH_WORK", sys.argv[1])
    WORK = Path(sys.argv[1])
    SIDE = WORK / "celery-side.db"
    main()
