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

import argparse
import json
import os
import sqlite3
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dbos import DBOS, Queue, SetEnqueueOptions

AD_PAGES = 4
_local = threading.local()
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))
cfg: dict[str, Any] = {}  # work, sim, token, queue: set in main()


def side() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(cfg["work"] / "dbos-extra-side.db", timeout=30)
        conn.execute("pragma journal_mode=wal")
        conn.execute("pragma synchronous=normal")
        _local.conn = conn
    return conn


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(xs: list[float], q: float) -> float:
    return xs[min(len(xs) - 1, max(0, int(len(xs) * q + 0.5) - 1))]


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
    give_up = deadline + 60 + n * 0.1
    while side().execute("select count(*) from woke").fetchone()[0] < n and time.time() < give_up:
        time.sleep(0.1)
    late = sorted((at - deadline) * 1000 for (at,) in side().execute("select at from woke"))
    return {
        "engine": "dbos",
        "workload": "sleepers",
        "n": n,
        "woke": len(late),
        "rss_mb": round(peak["rss"] / 1024, 1),
        "late_p50_ms": round(statistics.median(late), 1),
        "late_p99_ms": round(pct(late, 0.99), 1),
        "late_max_ms": round(late[-1], 1),
        "schedule_s": round(scheduled, 2),
        "threads_peak": peak["threads"],
    }


# --- harvest ----------------------------------------------------------------------------


def post(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
    """(HTTP status, parsed body, Retry-After seconds) of one simulator call."""
    req = urllib.request.Request(
        cfg["sim"] + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {cfg['token']}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with _http.open(req, timeout=30) as res:
            return res.status, json.load(res), 0.0
    except urllib.error.HTTPError as e:
        return e.code, {}, float(e.headers.get("Retry-After") or 1)


@DBOS.step()
def call(kind: str, arg: str, cursor: int) -> dict[str, Any]:
    if kind == "ads":
        today = datetime.now(UTC).date()
        status, res, retry = post(
            "/v2/research/adlib/ad/query/?fields=ad,advertiser",
            {
                "filters": {
                    "ad_published_date_range": {
                        "min": (today - timedelta(days=30)).strftime("%Y%m%d"),
                        "max": today.strftime("%Y%m%d"),
                    },
                    "country_code": "ALL",
                },
                "max_count": 50,
                "search_id": arg,
            },
        )
    else:
        status, res, retry = post(
            "/v2/research/video/comment/list/?fields=id,video_id,text,create_time",
            {"video_id": arg, "cursor": cursor, "max_count": 100},
        )
    data = res.get("data") or {}
    follow: list[tuple[str, str, int]] = []
    comments = (data.get("comments") or []) if kind == "comments" else []
    if status == 200 and kind == "ads":
        follow = [
            ("comments", a["ad"]["videos"][0]["url"].rsplit("/", 1)[1], 0) for a in data["ads"]
        ]
        if data.get("has_more") and cursor + 1 < AD_PAGES:
            follow.append(("ads", data["search_id"], cursor + 1))
    elif status == 200 and data.get("has_more"):
        follow = [("comments", arg, int(data["cursor"]))]
    with side() as c:
        c.executemany(
            "insert or ignore into comments values (?, ?, ?)",
            [(x["id"], x["video_id"], x["text"]) for x in comments],
        )
        c.execute(
            "insert into calls values (?, ?, ?, ?)", (time.time(), kind, status, len(comments))
        )
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


def token(sim: str) -> str:
    form = "client_key=bench&client_secret=bench&grant_type=client_credentials"
    with _http.open(sim + "/v2/oauth/token/", data=form.encode(), timeout=30) as res:
        return str(json.load(res)["access_token"])


def harvest(sim: str, seconds: float) -> dict[str, Any]:
    with side() as c:
        c.execute("create table calls (at real, kind text, status int, n int)")
        c.execute("create table comments (id text primary key, video_id text, text text)")
    cfg.update(sim=sim.rstrip("/"), token=token(sim.rstrip("/")))
    DBOS.launch()
    cfg["queue"] = DBOS.register_queue("harvest", limiter={"limit": 100, "period": 60})
    start = time.time()
    cfg["queue"].enqueue(fetch, "ads", "", 0)
    while (left := start + seconds - time.time()) > 0:
        time.sleep(min(10.0, left))
        n = side().execute("select count(*) from calls").fetchone()[0]
        print(f"dbos: {time.time() - start:5.0f} s, {n} calls", file=sys.stderr)
    DBOS.destroy(workflow_completion_timeout_sec=0)
    rows = (
        side()
        .execute("select at, status, n from calls where at < ?", (start + seconds,))
        .fetchall()
    )
    minutes = [0] * int(seconds // 60)
    for at, _, _ in rows:
        if (m := int((at - start) // 60)) < len(minutes):
            minutes[m] += 1
    with _http.open(cfg["sim"] + "/_sim/stats", timeout=30) as res:
        sim_stats = json.load(res)
    return {
        "engine": "dbos",
        "workload": "harvest",
        "seconds": seconds,
        "calls": len(rows),
        "per_minute": minutes,
        "http_429": sum(1 for _, s, _ in rows if s == 429),
        "comments": sum(n for _, _, n in rows),
        "sim_stats": sim_stats,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="workload", required=True)
    s = sub.add_parser("sleepers")
    s.add_argument("workdir", type=Path)
    s.add_argument("n", type=int, nargs="?", default=1000)
    s.add_argument("delay", type=float, nargs="?", default=20.0)
    h = sub.add_parser("harvest")
    h.add_argument("workdir", type=Path)
    h.add_argument("sim_url")
    h.add_argument("seconds", type=float, nargs="?", default=150.0)
    args = ap.parse_args()
    cfg["work"] = work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    for name in ("dbos-extra-sys.db", "dbos-extra-side.db"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            (work / (name + suffix)).unlink(missing_ok=True)
    DBOS(
        config={
            "name": "bench-extra",
            "system_database_url": f"sqlite:///{work / 'dbos-extra-sys.db'}",
            "log_level": "WARNING",
        }
    )
    if args.workload == "sleepers":
        out = sleepers(args.n, args.delay)
        DBOS.destroy(workflow_completion_timeout_sec=0)
    else:
        out = harvest(args.sim_url, args.seconds)
    print(json.dumps(out), flush=True)
    os._exit(0)  # stray executor threads (harvest calls in flight) must not hold the exit


if __name__ == "__main__":
    main()
