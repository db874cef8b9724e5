"""DBOS Transact on two more workloads: many durable sleepers, and a rate-limited harvest
from the TikTok API simulator. Run with the peers' environment (see bench/compare.py).

usage: python dbos_extra.py sleepers WORKDIR [N=1000] [DELAY=20]      → one JSON line
       python dbos_extra.py harvest  WORKDIR SIM_URL [SECONDS=150]    → one JSON line

Settings (durability as in dbos_workloads.py):
- System database: SQLite at WORKDIR/dbos-extra-sys.db; side tables (what the steps
  write) in WORKDIR/dbos-extra-side.db, WAL, synchronous=NORMAL. Both are deleted at
  start, so a run never recovers a previous run's workflows.
- Workflows are sync functions; DBOS runs every started workflow in its own thread of an
  unbounded ThreadPoolExecutor (runtimeConfig.max_executor_threads unset = sys.maxsize),
  so all N sleepers sleep at once. The JSON reports the peak thread count as evidence.
- sleepers: the deadline T = start + DELAY is fixed up front; each workflow calls
  DBOS.sleep(T - now) (durable: the wake-up time is checkpointed) and then a @DBOS.step
  inserts time.time() into the side table. "rss_mb" is the peak VmRSS of this process,
  sampled every 0.25 s from the first start until T; "schedule_s" is how long it took to
  start all N (must stay well below DELAY; a warning goes to stderr otherwise).
- harvest: one client token (fetched once; no refresh, it lasts 2 h). Every API call is
  one workflow, enqueued on a queue registered with limiter {"limit": 100, "period": 60}
  (a rolling window over dequeue times; polling_interval_sec 1.0, no concurrency limit),
  whose single @DBOS.step makes the call and commits the comments (INSERT OR IGNORE by
  id) and a row in `calls` in one transaction. The workflow then enqueues the follow-up
  calls (next comment page while has_more, max_count 100; the videos of an ad page; the
  next ad page, up to AD_PAGES pages of 50). On HTTP 429 it re-enqueues the same call
  with delay_seconds = Retry-After (durable, and again through the limiter). The clock
  starts at the first enqueue, after DBOS.launch(); at SECONDS DBOS is destroyed.
  "calls", "http_429", "comments" (sum of page sizes) and "per_minute" count the `calls`
  rows stamped before start + SECONDS; "sim_stats" is GET SIM_URL/_sim/stats at the end.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

from dbos import DBOS, Queue, SetEnqueueOptions
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

_local = threading.local()
cfg: dict[str, Any] = {}  # work, sim, token, queue: set in main()


def side() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = open_side(cfg["work"] / "dbos-extra-side.db")
    return conn


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --- sleepers ---------------------------------------------------------------------------


@DBOS.step()
def wake(i: int) -> None:
    with side() as c:
        c.execute("insert into woke values (?, ?)", (i, time.time()))


@DBOS.workflow()
def sleeper(i: int, deadline: float) -> None:
    DBOS.sleep(max(0.0, deadline - time.time()))
    wake(i)


def sleepers(n: int, delay: float) -> dict[str, Any]:
    side().execute("create table woke (i int, at real)")
    DBOS.launch()
    start = time.time()
    deadline = start + delay
    peak = {"rss": rss_kb(os.getpid()), "threads": threading.active_count()}
    for i in range(n):
        DBOS.start_workflow(sleeper, i, deadline)
    scheduled = time.time() - start
    print(f"dbos: {n} sleepers started in {scheduled:.2f} s", file=sys.stderr)
    if scheduled > delay / 2:
        print("dbos: WARNING scheduling took more than DELAY/2", file=sys.stderr)
    while time.time() < deadline:
        peak["rss"] = max(peak["rss"], rss_kb(os.getpid()))
        peak["threads"] = max(peak["threads"], threading.active_count())
        time.sleep(0.25)
    wait_for_wakers(side(), n, deadline)
    return {
        **sleepers_report("dbos", side(), n, deadline, peak["rss"]),
        "schedule_s": round(scheduled, 2),
        "threads_peak": peak["threads"],
    }


# --- harvest ----------------------------------------------------------------------------


@DBOS.step()
def call(kind: str, arg: str, cursor: int) -> dict[str, Any]:
    status, retry, follow = harvest_call(cfg["sim"], cfg["token"], side(), kind, arg, cursor)
    return {"status": status, "retry_after": retry, "follow": follow}


@DBOS.workflow()
def fetch(kind: str, arg: str, cursor: int) -> None:
    res = call(kind, arg, cursor)
    queue: Queue = cfg["queue"]
    if res["status"] == 429:
        with SetEnqueueOptions(delay_seconds=res["retry_after"]):
            queue.enqueue(fetch, kind, arg, cursor)
    for k, a, cur in res["follow"]:
        queue.enqueue(fetch, k, a, cur)


def harvest(sim: str, seconds: float) -> dict[str, Any]:
    create_harvest_tables(side())
    cfg.update(sim=sim, token=token(sim))
    DBOS.launch()
    cfg["queue"] = DBOS.register_queue("harvest", limiter={"limit": 100, "period": 60})
    start = time.time()
    cfg["queue"].enqueue(fetch, "ads", "", 0)
    progress("dbos", side(), start, seconds)
    DBOS.destroy(workflow_completion_timeout_sec=0)
    return harvest_report("dbos", side(), sim, start, seconds)


def main() -> None:
    args = parse_args(__doc__ or "")
    cfg["work"] = work = args.workdir
    for name in ("dbos-extra-sys.db", "dbos-extra-side.db"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            (work / (name + suffix)).unlink(missing_ok=True)
    DBOS(
        config={
            "name": "bench-extra",
            "system_database_url": os.environ.get("BENCH_DBOS_SYS_DB")
            or f"sqlite:///{work / 'dbos-extra-sys.db'}",
            "log_level": "WARNING",
        }
    )
    if args.workload == "sleepers":
        out = sleepers(args.n, args.delay)
        DBOS.destroy(workflow_completion_timeout_sec=0)
    else:
        out = harvest(args.sim_url.rstrip("/"), args.seconds)
    print(json.dumps(out), flush=True)
    os._exit(0)  # stray executor threads (harvest calls in flight) must not hold the exit


if __name__ == "__main__":
    main()
