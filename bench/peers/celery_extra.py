"""Celery + Redis on two more workloads: many delayed tasks waiting for one deadline, and
a rate-limited harvest from the TikTok API simulator. Run with the peers' environment
(see bench/compare.py).

usage: python celery_extra.py sleepers WORKDIR [N=1000] [DELAY=20]      → one JSON line
       python celery_extra.py harvest  WORKDIR SIM_URL [SECONDS=150]    → one JSON line

Settings (durability as in celery_workloads.py):
- Broker: Redis at $BENCH_REDIS (default redis://127.0.0.1:6379/15), queue "bench-extra"
  (purged at start; after the worker stops, purged again and kombu's unacked/
  unacked_index keys deleted). No result backend (task_ignore_result).
- task_acks_late + task_reject_on_worker_lost: a task is acknowledged only after its
  SQLite write commits (WORKDIR/celery-extra-side.db, WAL, synchronous=NORMAL; deleted
  at start). worker_prefetch_multiplier 4.
- The worker is its own process: `celery worker --pool=prefork --concurrency=2
  --without-gossip --without-mingle`, started and pinged (ready) before the clock starts.
- sleepers: T = start + DELAY is fixed up front; N `apply_async(eta=T)` of a task that
  inserts time.time(). The worker reserves ETA tasks in its own memory (each one raises
  its prefetch count) until T, unacknowledged; Redis redelivers an unacked message after
  broker_transport_options.visibility_timeout, so that is set to max(3600, 2 × DELAY)
  in both the producer and the worker (a shorter one would duplicate the sleepers).
  "rss_mb" is the peak of VmRSS summed over the worker's main process and its pool
  children (/proc/PID/task/*/children, recursively), sampled every 0.25 s until T.
- harvest: one client token (fetched once by this process, given to the worker in
  $BENCH_TOKEN; no refresh, it lasts 2 h). Every API call is one `fetch` task with
  rate_limit="100/m" (Celery's per-worker token bucket, capacity 1: one call per 0.6 s)
  that makes the call and commits the comments (INSERT OR IGNORE by id) and a row in
  `calls` in one transaction, then publishes the follow-up calls (next comment page while
  has_more, max_count 100; the videos of an ad page; the next ad page, up to AD_PAGES
  pages of 50). On HTTP 429 it retries with countdown = Retry-After (a new ETA message,
  through the rate limit again; max_retries 50). At SECONDS the worker gets SIGTERM.
  "calls", "http_429", "comments" (sum of page sizes) and "per_minute" count the `calls`
  rows stamped before start + SECONDS; "sim_stats" is GET SIM_URL/_sim/stats at the end.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from celery import Celery, Task
from extra_common import (
    create_harvest_tables,
    harvest_call,
    harvest_report,
    open_side,
    parse_args,
    progress,
    sleepers_report,
    token,
    wait_for_wakers,
)

QUEUE = "bench-extra"
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15")

app = Celery("bench_extra", broker=REDIS)
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=4,
    task_ignore_result=True,
    task_default_queue=QUEUE,
    broker_transport_options={"visibility_timeout": int(os.environ.get("BENCH_VT", "3600"))},
    worker_hijack_root_logger=False,
)
_conn: sqlite3.Connection | None = None


def side() -> sqlite3.Connection:
    global _conn
    if _conn is None:
        _conn = open_side(Path(os.environ["BENCH_WORK"]) / "celery-extra-side.db")
    return _conn


def tree_rss_kb(pid: int) -> int:
    """VmRSS of a process and all its descendants, in kB (0 for what has exited)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += tree_rss_kb(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


# --- tasks (run in the worker) -------------------------------------------------------------


@app.task(name="extra.wake")
def wake(i: int) -> None:
    with side() as c:
        c.execute("insert into woke values (?, ?)", (i, time.time()))


@app.task(name="extra.fetch", bind=True, rate_limit="100/m", max_retries=50)
def fetch(self: Task, kind: str, arg: str, cursor: int) -> None:
    status, retry, follow = harvest_call(
        os.environ["BENCH_SIM"], os.environ["BENCH_TOKEN"], side(), kind, arg, cursor
    )
    if status == 429:
        raise self.retry(countdown=retry)
    for k, a, cur in follow:
        fetch.delay(k, a, cur)


# --- driver ------------------------------------------------------------------------------


def start_worker() -> subprocess.Popen[bytes]:
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "celery_extra", "worker", "-Q", QUEUE),
            *("--loglevel=ERROR", "--concurrency=2", "--pool=prefork"),
            *("--without-gossip", "--without-mingle"),
        ],
        cwd=Path(__file__).parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    give_up = time.time() + 60
    while not app.control.ping(timeout=1.0):
        if time.time() > give_up or worker.poll() is not None:
            worker.kill()
            raise SystemExit("celery worker did not come up")
    return worker


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGTERM)  # warm shutdown: unstarted tasks go back unacked
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)
    app.control.purge()
    with app.connection_for_write() as conn:
        conn.default_channel.client.delete("unacked", "unacked_index")


def sleepers(n: int, delay: float) -> dict[str, Any]:
    side().execute("create table woke (i int, at real)")
    worker = start_worker()
    try:
        start = time.time()
        deadline = start + delay
        eta = datetime.fromtimestamp(deadline, UTC)
        for i in range(n):
            wake.apply_async((i,), eta=eta)
        scheduled = time.time() - start
        print(f"celery: {n} sleepers published in {scheduled:.2f} s", file=sys.stderr)
        if scheduled > delay / 2:
            print("celery: WARNING scheduling took more than DELAY/2", file=sys.stderr)
        peak = 0
        while time.time() < deadline:
            peak = max(peak, tree_rss_kb(worker.pid))
            time.sleep(0.25)
        wait_for_wakers(side(), n, deadline)
    finally:
        stop_worker(worker)
    return {
        **sleepers_report("celery", side(), n, deadline, peak),
        "schedule_s": round(scheduled, 2),
    }


def harvest(sim: str, seconds: float) -> dict[str, Any]:
    create_harvest_tables(side())
    os.environ.update(BENCH_SIM=sim, BENCH_TOKEN=token(sim))
    worker = start_worker()
    try:
        start = time.time()
        fetch.delay("ads", "", 0)
        progress("celery", side(), start, seconds)
    finally:
        stop_worker(worker)
    return harvest_report("celery", side(), sim, start, seconds)


def main() -> None:
    args = parse_args(__doc__ or "")
    work = args.workdir
    for suffix in ("", "-wal", "-shm"):
        (work / ("celery-extra-side.db" + suffix)).unlink(missing_ok=True)
    vt = str(max(3600, int(2 * getattr(args, "delay", 0))))
    os.environ.update(BENCH_WORK=str(work), BENCH_REDIS=REDIS, BENCH_VT=vt)
    app.conf.broker_transport_options = {"visibility_timeout": int(vt)}
    app.control.purge()
    if args.workload == "sleepers":
        out = sleepers(args.n, args.delay)
    else:
        out = harvest(args.sim_url.rstrip("/"), args.seconds)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
