"""Embedded engine figures: event→first-step latency, steps/s of a 10-step function
(each step a tiny committed DB write), flow-control overhead, and memory with 10,000
runs sleeping at once. SQLite, in-process app, this machine.

    uv run python bench/bench_engine.py [--runs 200] [--sleepers 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import inngest
import inngest.fast_api
from fastapi import FastAPI

from harvester.engine import Engine, EngineConfig
from harvester.jobs.sdk_transport import route_sdk_through, sdk_app

APP_URL = "http://bench:8288/api/inngest"
# compare.py --db postgres: the engine's system database on this Postgres server (a
# server URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/), one scratch
# database per workload run, dropped by drop_scratch_dbs(). None: a SQLite file.
PG_SERVER: str | None = None
_SCRATCH: list[str] = []
PG_OPTIONS = "?options=-c%20synchronous_commit%3Doff"


def _pg_admin(sql: str) -> None:
    import psycopg

    assert PG_SERVER is not None
    url = PG_SERVER.replace("postgresql+psycopg://", "postgresql://").rstrip("/") + "/postgres"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def system_db(tmp: Path, name: str) -> str:
    """The engine's database for one workload run: a fresh SQLite file in ``tmp``, or
    a fresh scratch database on ``PG_SERVER``."""
    if PG_SERVER is None:
        return f"sqlite:///{tmp / name}"
    db = f"bench_compare_{os.getpid()}_{len(_SCRATCH)}"
    _pg_admin(f"CREATE DATABASE {db}")
    _SCRATCH.append(db)
    # synchronous_commit=off: the durability SQLite has here (WAL, synchronous=NORMAL):
    # a commit survives the process crashing, not the machine losing power (the last
    # few hundred ms of commits may go; nothing is corrupted). Set on the connection.
    return PG_SERVER.rstrip("/") + "/" + db + PG_OPTIONS


def drop_scratch_dbs() -> None:
    """Drop the scratch databases system_db() made (connections still open: forced)."""
    while _SCRATCH:
        _pg_admin(f"DROP DATABASE IF EXISTS {_SCRATCH.pop()} WITH (FORCE)")


LEAN = os.environ.get("BENCH_CALL", "lean") == "lean"  # BENCH_CALL=fastapi: the old call


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of this process (or of ``pid``), in MB."""
    for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def start(fns: Any, db: str, **cfg: Any) -> Engine:
    client = inngest.Inngest(
        app_id="bench",
        is_production=False,
        api_base_url="http://bench:8288",
        event_api_base_url="http://bench:8288",
    )
    engine = Engine(EngineConfig(database_url=db, poll_interval=0.05, **cfg))
    app: Any
    if LEAN:  # the SDK's handler called straight, as `harvester up` calls its own app
        app = sdk_app(client, fns(client), "/api/inngest")
    else:  # the user's SDK app over FastAPI: its functions, nothing else
        app = FastAPI()
        inngest.fast_api.serve(app, client, fns(client))
    server = FastAPI()  # the engine's API, where the SDK syncs and sends events
    server.include_router(engine.router)
    route_sdk_through(client, httpx.ASGITransport(app=server))
    await engine.start()
    await engine.register_app(APP_URL, transport=httpx.ASGITransport(app=app))
    return engine


async def latency(tmp: Path, n: int) -> dict[str, float]:
    """One run at a time (low load): each sample waits for the previous run to return,
    as the peers' latency loops do (DBOS waits for the workflow's result)."""
    first_step: dict[str, float] = {}
    returned: set[str] = set()

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="lat", trigger=inngest.TriggerEvent(event="b/lat"))
        async def lat(ctx: inngest.Context) -> None:
            def mark() -> None:
                first_step.setdefault(ctx.event.data["k"], time.perf_counter())

            await ctx.step.run("first", mark)
            returned.add(ctx.event.data["k"])

        return [lat]

    engine = await start(fns, system_db(tmp, "lat.db"))
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        await engine.send([{"name": "b/lat", "data": {"k": str(i)}}])
        while str(i) not in first_step:
            await asyncio.sleep(0.0005)
        samples.append((first_step[str(i)] - t0) * 1000)
        while str(i) not in returned:
            await asyncio.sleep(0.0005)
        await asyncio.sleep(0.002)  # its outcome is committed just after it returns
    await engine.wait_for_idle(30)
    await engine.stop()
    samples.sort()
    return {"p50_ms": statistics.median(samples), "p99_ms": samples[int(len(samples) * 0.99) - 1]}


def _side_db(side: Path) -> sqlite3.Connection:
    """The steps' own writes: committed one by one, WAL + synchronous=NORMAL like the
    engine; shared by every engine process of a run."""
    conn = sqlite3.connect(side, isolation_level=None, timeout=30)
    conn.execute("pragma journal_mode=wal")
    conn.execute("pragma synchronous=normal")
    conn.execute("create table if not exists w (run text, step int)")
    conn.execute("create table if not exists woke (run text, at real)")
    return conn


def _ten_fns(conn: sqlite3.Connection, flow: bool) -> Any:
    def fns(client: inngest.Inngest) -> list[Any]:
        opts: dict[str, Any] = {}
        if flow:
            opts = {
                "concurrency": [
                    inngest.Concurrency(limit=50),
                    inngest.Concurrency(limit=1, key="event.data.k"),
                ],
                "throttle": inngest.Throttle(limit=100_000, period=timedelta(minutes=1)),
            }

        @client.create_function(fn_id="ten", trigger=inngest.TriggerEvent(event="b/ten"), **opts)
        async def ten(ctx: inngest.Context) -> None:
            for s in range(10):

                def write(s: int = s) -> None:
                    conn.execute("insert into w values (?, ?)", (ctx.run_id, s))  # autocommit

                await ctx.step.run(f"s{s}", write)

        return [ten]

    return fns


def _nap_fns(conn: sqlite3.Connection) -> Any:
    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="nap", trigger=inngest.TriggerEvent(event="b/nap"))
        async def nap(ctx: inngest.Context) -> None:
            until = datetime.fromtimestamp(ctx.event.data["until"], UTC)
            await ctx.step.sleep_until("nap", until)

            def woke() -> None:
                conn.execute("insert into woke values (?, ?)", (ctx.run_id, time.time()))

            await ctx.step.run("woke", woke)

        return [nap]

    return fns


def _ten_worker(db: str, side: str, flow: bool | None, ready: Any, stop: Any) -> None:
    """Another engine process on the same database (as `harvester up --workers N`),
    with the 10-step function (``flow`` True/False) or the sleeper (None)."""

    async def go() -> None:
        conn = _side_db(Path(side))
        fns = _nap_fns(conn) if flow is None else _ten_fns(conn, flow)
        engine = await start(fns, db, workers=16, limited_calls=False)  # as up does
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await engine.stop()

    asyncio.run(go())


async def _others(db: str, side: Path, flow: bool | None, procs: int) -> tuple[list[Any], Any]:
    """Start ``procs - 1`` more engine processes (``_ten_worker``) and wait until each is
    ready; returns them and the event that stops them."""
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    others = [
        ctx.Process(target=_ten_worker, args=(db, str(side), flow, ready, stop))
        for _ in range(procs - 1)
    ]
    for p in others:
        p.start()
    for _ in others:
        await asyncio.to_thread(ready.wait, 60)
    return others, stop


async def ten_steps(tmp: Path, runs: int, flow: bool, procs: int = 1) -> dict[str, float]:
    """``runs`` 10-step runs; with ``procs`` > 1, that many engine processes share the
    queue on one SQLite file (each with its own in-process copy of the function)."""
    side = tmp / f"side-{flow}-{procs}.db"
    conn = _side_db(side)
    db = system_db(tmp, f"ten-{flow}-{procs}.db")
    engine = await start(_ten_fns(conn, flow), db, workers=16)
    others, stop = await _others(db, side, flow, procs)
    t0 = time.perf_counter()
    await engine.send([{"name": "b/ten", "data": {"k": str(i)}} for i in range(runs)])
    if others:  # done when every step's write is there: the others' work included
        while conn.execute("select count(*) from w").fetchone()[0] < runs * 10:
            if time.perf_counter() - t0 > 600:
                raise TimeoutError("10-step runs not done after 600 s")
            await asyncio.sleep(0.01)
    else:
        await engine.wait_for_idle(600)
    elapsed = time.perf_counter() - t0
    stop.set()
    for p in others:
        p.join(30)
    await engine.stop()
    rows = conn.execute("select count(*) from w").fetchone()[0]
    twice = conn.execute(
        "select count(*) from (select run, step from w group by run, step having count(*) > 1)"
    ).fetchone()[0]
    assert rows == runs * 10 and twice == 0, (rows, twice)
    return {"steps_per_s": rows / elapsed, "runs_per_s": runs / elapsed}


async def distinct_keys(tmp: Path, n: int) -> dict[str, float]:
    """Queue throughput when every run has its own concurrency key (limit 1 per key)."""

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="keys",
            trigger=inngest.TriggerEvent(event="b/keys"),
            concurrency=[inngest.Concurrency(limit=1, key="event.data.k")],
        )
        async def keys(ctx: inngest.Context) -> None:
            await ctx.step.run("one", lambda: 1)

        return [keys]

    engine = await start(fns, system_db(tmp, "keys.db"), workers=16)
    t0 = time.perf_counter()
    await engine.send([{"name": "b/keys", "data": {"k": f"key-{i}"}} for i in range(n)])
    await engine.wait_for_idle(600)
    elapsed = time.perf_counter() - t0
    await engine.stop()
    return {"runs_per_s": n / elapsed, "steps_per_s": 2 * n / elapsed}


async def sleepers(tmp: Path, n: int) -> dict[str, float]:
    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="zz", trigger=inngest.TriggerEvent(event="b/zz"))
        async def zz(ctx: inngest.Context) -> None:
            await ctx.step.sleep("nap", timedelta(hours=1))

        return [zz]

    before = rss_mb()
    engine = await start(fns, system_db(tmp, "zz.db"), workers=16)
    for i in range(0, n, 1000):
        await engine.send([{"name": "b/zz", "data": {}} for _ in range(min(1000, n - i))])
    await engine.wait_for_idle(600)
    stats = engine.queue_stats(time.time() + 7200)
    after = rss_mb()
    await engine.stop()
    return {"sleeping": stats.queued, "rss_mb": after, "rss_growth_mb": after - before}


async def sleepers_accuracy(tmp: Path, n: int, delay: float, procs: int = 1) -> dict[str, float]:
    """``n`` runs sleep durably until one common deadline, then record when they woke:
    peak RSS while they sleep (all engine processes together), and lateness
    (woke − deadline) p50/p99/max. With ``procs`` > 1, that many engine processes
    share the queue, as `harvester up` runs by default."""
    side = tmp / f"nap-side-{procs}.db"
    conn = _side_db(side)
    db = system_db(tmp, f"nap-{procs}.db")
    engine = await start(_nap_fns(conn), db, workers=16)
    others, stop = await _others(db, side, None, procs)
    deadline = time.time() + delay
    for i in range(0, n, 500):
        batch = [{"name": "b/nap", "data": {"until": deadline}} for _ in range(min(500, n - i))]
        await engine.send(batch)
    while engine.queue_stats(time.time()).due and time.time() < deadline - 1:
        await asyncio.sleep(0.05)  # every run has reached its sleep
    rss = rss_mb() + sum(rss_mb(p.pid) for p in others)

    def woke() -> list[float]:
        return [r[0] for r in conn.execute("select at from woke")]

    while len(woke()) < n and time.time() < deadline + 120:
        await asyncio.sleep(0.05)
    stop.set()
    for p in others:
        p.join(30)
    await engine.stop()
    late = sorted((w - deadline) * 1000 for w in woke())
    return {
        "n": n,
        "procs": procs,
        "woke": len(late),
        "rss_mb": rss,
        "late_p50_ms": statistics.median(late),
        "late_p99_ms": late[max(0, int(len(late) * 0.99) - 1)],
        "late_max_ms": late[-1],
    }


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--latency-samples", type=int, default=300)
    ap.add_argument("--sleepers", type=int, default=10_000)
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--only", choices=["keys"], default=None)
    args = ap.parse_args()
    if args.only == "keys":
        with tempfile.TemporaryDirectory() as d:
            k = await distinct_keys(Path(d), args.keys)
        print(
            f"{args.keys:,} distinct concurrency keys: {k['runs_per_s']:,.0f} runs/s "
            f"({k['steps_per_s']:,.0f} calls/s)"
        )
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        print("latency…", flush=True)
        lat = await latency(tmp, args.latency_samples)
        print(f"event→first-step latency: p50 {lat['p50_ms']:.2f} ms, p99 {lat['p99_ms']:.2f} ms")
        print("10-step function…", flush=True)
        plain = await ten_steps(tmp, args.runs, flow=False)
        print(
            f"10-step runs: {plain['steps_per_s']:,.0f} steps/s, "
            f"{plain['runs_per_s']:,.1f} runs/s ({args.runs} runs)"
        )
        flowed = await ten_steps(tmp, args.runs, flow=True)
        slower = 1 - flowed["steps_per_s"] / plain["steps_per_s"]
        print(
            f"with concurrency + throttle: {flowed['steps_per_s']:,.0f} steps/s "
            f"({slower:+.1%} slower)"
        )
        k = await distinct_keys(tmp, args.keys)
        print(
            f"{args.keys:,} distinct concurrency keys: {k['runs_per_s']:,.0f} runs/s "
            f"({k['steps_per_s']:,.0f} calls/s)"
        )
        print(f"{args.sleepers:,} sleeping runs…", flush=True)
        z = await sleepers(tmp, args.sleepers)
        print(
            f"sleeping runs: {z['sleeping']:,} timers, process RSS {z['rss_mb']:.0f} MB "
            f"(+{z['rss_growth_mb']:.0f} MB while they sleep)"
        )


if __name__ == "__main__":
    asyncio.run(main())
