"""One command, the same workloads on our engine, DBOS Transact and Celery + Redis, in
the same run on the same machine; prints figures and ratios (ours / peer), writes them
to bench/results/compare.json and plots them to docs/compare.png.

    uv run python bench/compare.py [--runs 1000] [--samples 100] [--sleepers 1000]
        [--sleep-delay 20] [--harvest-seconds 150] [--workloads ten,sleepers,harvest]
        [--repeat 5]

Workloads:
- ten: a 10-step durable function, each step a tiny committed SQLite write (steps/s,
  runs/s; ours with one engine process per core, as `harvester up` runs, and with one),
  and event → first-step latency at low load (p50/p99, one at a time);
- sleepers: N runs sleep durably until one common deadline, then write a row (peak RSS
  while they sleep, lateness of the wake-ups); ours with one engine process per core
  and with one;
  (`--sleepers 10000` for the large case: the sleep delay is then raised to leave
  time for all of them to reach their sleep);
- harvest: comment pages fetched from the TikTok simulator (HTTP on loopback, 429
  above 100 calls/min), each engine throttling itself to 100 calls/min (calls per
  full minute, 429s).

The peers install from PyPI into bench/.env-peers (pinned; not project dependencies).
Durability is matched: every step's SQLite write (WAL, synchronous=NORMAL) commits
before the next step starts; DBOS keeps its system database in SQLite; Celery acks
each task late, after its write (Redis as broker, as configured on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ENV = HERE / ".env-peers"
PEERS = ["dbos==3.4.*", "celery[redis]==5.7.*", "matplotlib==3.11.*"]
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ENGINES = ("ours", "dbos", "celery")
Result = dict[str, Any]


def _uv() -> str:
    """uv on PATH, else the copy ./harvester installed into .tools/."""
    found = shutil.which("uv") or next(iter(sorted((ROOT / ".tools").glob("**/bin/uv"))), None)
    if found is None:
        raise SystemExit("uv not found: run ./harvester once (it installs uv into .tools/)")
    return str(found)


def peers_python() -> str:
    py = ENV / "bin" / "python"
    marker = ENV / ".peers"
    if not py.exists() or not marker.exists() or marker.read_text() != " ".join(PEERS):
        print("creating the peers' environment (one time)…", flush=True)
        uv = _uv()
        if not py.exists():
            subprocess.run([uv, "venv", "-q", str(ENV)], check=True)
        subprocess.run([uv, "pip", "install", "-q", "--python", str(py), *PEERS], check=True)
        marker.write_text(" ".join(PEERS))
    return str(py)


PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"  # --db postgres, trust auth


def run_peer(script: str, work: Path, *args: object, timeout: float = 1800) -> Result:
    """Run a peer script in the peers' environment; its last stdout line is JSON. With
    --db postgres, DBOS gets a scratch database of its own for its system database."""
    extra = {}
    ours = _ours()
    if ours.PG_SERVER is not None and script.startswith("dbos"):
        url = ours.system_db(work, "dbos")
        extra["BENCH_DBOS_SYS_DB"] = url.replace("postgresql+psycopg://", "postgresql://")
    out = subprocess.run(
        [peers_python(), str(HERE / "peers" / script), *map(str, args)],
        cwd=HERE / "peers",
        stdout=subprocess.PIPE,
        stderr=None,  # the peers' progress goes straight to the terminal
        text=True,
        timeout=timeout,
        env={**os.environ, "BENCH_WORK": str(work), "BENCH_REDIS": REDIS, **extra},
    )
    if out.returncode != 0:
        raise SystemExit(f"{script} failed (exit {out.returncode}); see above")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _ours() -> Any:
    sys.path.insert(0, str(HERE))
    import bench_engine  # type: ignore[import-not-found]

    return bench_engine


def ten(name: str, work: Path, args: argparse.Namespace) -> Result:
    if name == "ours":
        ours = _ours()

        async def go() -> Result:
            lat = await ours.latency(work, args.samples)
            one = await ours.ten_steps(work, args.runs, flow=False)
            # As `harvester up` runs by default: one engine process per core.
            steps = await ours.ten_steps(work, args.runs, flow=False, procs=args.procs)
            return {**steps, **lat, "procs": args.procs, "steps_per_s_1proc": one["steps_per_s"]}

        return asyncio.run(go())
    script = f"{name}_workloads.py"
    return run_peer(script, work, work, args.runs, args.samples)


def sleepers(name: str, work: Path, args: argparse.Namespace) -> Result:
    if name == "ours":
        ours = _ours()

        async def go() -> Result:
            # As `harvester up` runs by default: one engine process per core; and one.
            one = await ours.sleepers_accuracy(work, args.sleepers, args.sleep_delay)
            many = one
            if args.procs > 1:
                many = await ours.sleepers_accuracy(
                    work, args.sleepers, args.sleep_delay, procs=args.procs
                )
            return {**many, "late_p99_ms_1proc": one["late_p99_ms"], "rss_mb_1proc": one["rss_mb"]}

        return asyncio.run(go())
    return run_peer(f"{name}_extra.py", work, "sleepers", work, args.sleepers, args.sleep_delay)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def harvest(name: str, work: Path, args: argparse.Namespace) -> Result:
    """A fresh simulator per engine (its minute counter and stats start at zero)."""
    port = _free_port()
    cli = str(Path(sys.executable).parent / "harvester")
    sim = subprocess.Popen(
        [cli, "sim", "--port", str(port), "--rate-per-minute", "100", "--seed", "6"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/_sim/stats", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("the simulator did not start; try `./harvester sim` by hand")
        if name == "ours":
            sys.path.insert(0, str(HERE))
            import bench_pipeline  # type: ignore[import-not-found]

            from harvester.logging_setup import configure_logging

            configure_logging("WARNING", "console")

            r = asyncio.run(bench_pipeline.throttled(work, args.harvest_seconds, port))
            stats = r["sim_stats"]
            full = int(args.harvest_seconds // 60)  # as the peers count: full minutes only
            return {
                "calls": stats["requests"],
                "per_minute": r["per_minute"][:full],
                "http_429": stats["429"],
                "comments": r["summary"].comments,
                "sim_stats": stats,
            }
        return run_peer(f"{name}_extra.py", work, "harvest", work, url, args.harvest_seconds)
    finally:
        sim.terminate()
        sim.wait(timeout=10)


WORKLOADS: dict[str, Callable[[str, Path, argparse.Namespace], Result]] = {
    "ten": ten,
    "sleepers": sleepers,
    "harvest": harvest,
}


def summarize(repeats: list[Result]) -> Result:
    """Several runs of one workload on one engine: each numeric figure's median, with
    its min and max in ``spread`` and every run in ``repeats`` (one run: itself)."""
    if len(repeats) == 1:
        return repeats[0]
    out: Result = dict(repeats[-1])
    spread: dict[str, list[float]] = {}
    for key, value in repeats[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values = sorted(float(r[key]) for r in repeats if key in r)
            out[key] = statistics.median(values)
            spread[key] = [values[0], values[-1]]
    return {**out, "spread": spread, "repeats": repeats}


def report_spread(results: dict[str, dict[str, Result]]) -> None:
    """Min / median / max of the headline figures, where a workload was repeated."""
    keys = {
        "ten": ["steps_per_s", "steps_per_s_1proc", "p50_ms", "p99_ms"],
        "sleepers": ["late_p99_ms", "late_p99_ms_1proc", "rss_mb", "rss_mb_1proc"],
    }
    rows = [
        (w, name, key, r["spread"][key], r[key])
        for w, per in results.items()
        for name, r in per.items()
        if "spread" in r
        for key in keys.get(w, [])
        if key in r["spread"]
    ]
    if not rows:
        return
    n = len(next(iter(next(iter(results.values())).values())).get("repeats", []))
    print(f"\nrepeated {n} times: min / median / max (max/min)")
    for w, name, key, (lo, hi), med in rows:
        ratio = f"{hi / lo:.2f}" if lo else "-"
        print(f"{w:9} {name:7} {key:18} {lo:9.1f} {med:9.1f} {hi:9.1f}  ({ratio})")
    t = results.get("ten", {})
    for peer in [p for p in ("dbos", "celery") if p in t and "ours" in t and "repeats" in t[p]]:
        worst = min(r["steps_per_s"] for r in t["ours"]["repeats"])
        best_peer = max(r["steps_per_s"] for r in t[peer]["repeats"])
        print(f"ours/{peer}, our worst run against its best: ×{worst / best_peer:.2f}")


def report(results: dict[str, dict[str, Result]]) -> None:
    if "ten" in results:
        t = results["ten"]
        print(f"\n10-step function and latency\n{'engine':8} {'steps/s':>9} {'runs/s':>8}", end="")
        print(f" {'p50 ms':>8} {'p99 ms':>8}")
        for name, r in t.items():
            print(
                f"{name:8} {r['steps_per_s']:9.0f} {r['runs_per_s']:8.1f} {r['p50_ms']:8.2f} "
                f"{r['p99_ms']:8.2f}"
            )
        if "steps_per_s_1proc" in t.get("ours", {}):
            o = t["ours"]
            print(
                f"ours: {o['steps_per_s']:.0f} steps/s with {o['procs']:.0f} engine processes, "
                f"{o['steps_per_s_1proc']:.0f} with one"
            )
        for peer in [p for p in ("dbos", "celery") if p in t and "ours" in t]:
            print(
                f"ours/{peer}: steps/s ×{t['ours']['steps_per_s'] / t[peer]['steps_per_s']:.2f}, "
                f"p50 latency ×{t['ours']['p50_ms'] / t[peer]['p50_ms']:.2f} (lower is better)"
            )
    if "sleepers" in results:
        print(f"\nsleeping runs\n{'engine':8} {'woke':>6} {'RSS MB':>8} {'late p50':>9}", end="")
        print(f" {'p99':>9} {'max':>9} (ms)")
        for name, r in results["sleepers"].items():
            print(
                f"{name:8} {r['woke']:6.0f} {r['rss_mb']:8.0f} {r['late_p50_ms']:9.0f} "
                f"{r['late_p99_ms']:9.0f} {r['late_max_ms']:9.0f}"
            )
        o = results["sleepers"].get("ours", {})
        if "late_p99_ms_1proc" in o:
            print(
                f"ours: p99 {o['late_p99_ms']:.0f} ms with {o['procs']:.0f} engine processes "
                f"({o['rss_mb']:.0f} MB together), {o['late_p99_ms_1proc']:.0f} ms with one "
                f"({o['rss_mb_1proc']:.0f} MB)"
            )
    if "harvest" in results:
        print(f"\nharvest at 100 calls/min\n{'engine':8} {'calls':>6} {'429s':>5}  per minute")
        for name, r in results["harvest"].items():
            print(f"{name:8} {r['calls']:6d} {r['http_429']:5d}  {r['per_minute']}")


def plot(results: dict[str, dict[str, Result]], png: Path) -> None:
    """Draw with matplotlib from the peers' environment (not a project dependency)."""
    code = (HERE / "peers" / "plot_compare.py").read_text()
    subprocess.run(
        [peers_python(), "-c", code, str(png)],
        input=json.dumps(results),
        text=True,
        check=True,
        timeout=120,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # 1,000 runs: ours then lasts ~5-10 s. At 200 (about a second) the figure of two
    # processes swung by ×1.4 between identical runs: the start of the work in each
    # process and the scheduler weighed on it more than the engine did.
    ap.add_argument("--runs", type=int, default=1000, help="10-step runs per engine")
    ap.add_argument(
        "--procs",
        type=int,
        default=os.cpu_count() or 1,
        help="our engine processes in the 10-step workload (default: the cores, as `up`)",
    )
    ap.add_argument("--samples", type=int, default=100, help="latency samples per engine")
    ap.add_argument("--sleepers", type=int, default=1000, help="runs sleeping at once")
    ap.add_argument("--sleep-delay", type=float, default=20.0, help="seconds until they wake")
    ap.add_argument("--harvest-seconds", type=float, default=150.0)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each workload (min/median/max)")
    ap.add_argument(
        "--db",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="system database of ours and DBOS (Celery unchanged); postgres: scratch "
        "databases on --pg-server, dropped at the end (ten and sleepers only)",
    )
    ap.add_argument("--pg-server", default=PG_SERVER, help="Postgres server URL (no database)")
    ap.add_argument("--workloads", default="ten,sleepers,harvest")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--png", type=Path, default=ROOT / "docs" / "compare.png")
    ap.add_argument(
        "--plot-only", action="store_true", help="redraw the plot from the last results"
    )
    args = ap.parse_args()
    out = HERE / "results" / "compare.json"
    if args.plot_only:
        if not out.exists():
            ap.error(f"no results yet in {out}: run without --plot-only first")
        runs = json.loads(out.read_text())["runs"]
        results_only = {w: v["results"] for w, v in runs.items() if w in WORKLOADS}
        report(results_only)
        plot(results_only, args.png)
        return
    chosen = [w for w in args.workloads.split(",") if w]
    engines = [e for e in args.engines.split(",") if e]
    for w in chosen:
        if w not in WORKLOADS:
            ap.error(f"unknown workload {w!r}; choose from {', '.join(WORKLOADS)}")
    for e in engines:
        if e not in ENGINES:
            ap.error(f"unknown engine {e!r}; choose from {', '.join(ENGINES)}")
    if args.db == "postgres":
        if "harvest" in chosen:
            ap.error("--db postgres runs the ten and sleepers workloads only")
        _ours().PG_SERVER = args.pg_server
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.sleepers < 1:
        ap.error("--sleepers must be at least 1")
    # Every sleeper must reach its sleep before the deadline: about 1,000 runs a second.
    args.sleep_delay = max(args.sleep_delay, 10.0 + args.sleepers / 500)
    repeats: dict[str, dict[str, list[Result]]] = {}
    with tempfile.TemporaryDirectory() as d, contextlib.ExitStack() as cleanup:
        if args.db == "postgres":
            cleanup.callback(_ours().drop_scratch_dbs)
        for k in range(args.repeat):
            for w in chosen:  # engines alternate within each repeat: same minutes
                for name in engines:
                    work = Path(d) / f"{w}-{k}" / name
                    work.mkdir(parents=True)
                    print(f"{w}: {name} (run {k + 1} of {args.repeat})…", flush=True)
                    t0, load = time.perf_counter(), os.getloadavg()[0]
                    r = WORKLOADS[w](name, work, args)
                    r["load_avg"] = max(load, os.getloadavg()[0])
                    repeats.setdefault(w, {}).setdefault(name, []).append(r)
                    print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)
    results = {w: {n: summarize(rs) for n, rs in per.items()} for w, per in repeats.items()}
    report(results)
    report_spread(results)
    if set(engines) != set(ENGINES):
        return  # a partial comparison is printed, not recorded
    # Workloads not rerun keep their last figures; each records its own command line.
    saved = json.loads(out.read_text()) if out.exists() else {}
    runs = saved.get("runs", {})
    stamp = time.strftime("%Y-%m-%d %H:%M")
    for w, r in results.items():
        key = w if args.db == "sqlite" else f"{w}-{args.db}"  # the plot draws SQLite's
        runs[key] = {"argv": sys.argv[1:], "at": stamp, "results": r}
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    plot({w: v["results"] for w, v in runs.items() if w in WORKLOADS}, args.png)
    print(f"\nfigures in {out.relative_to(ROOT)}, plot in {args.png}")


if __name__ == "__main__":
    main()
