"""How the engine behaves as history grows: the 10-step function's steps/s and the
event → first step latency (p50/p99) on an empty database, with 100k and 1M stored
steps (finished runs of the last day, kept by the 14-day history), and with 100k
queued items (runs sleeping for an hour); then RSS for N sleeping runs.

    uv run python bench/bench_scale.py [--runs 200] [--samples 100]
        [--stored 0,100000,1000000] [--queued 100000] [--sleepers 10000,100000]

Writes bench/results/scale.json; ``--plot`` draws docs/scale.png with the peers'
matplotlib (see compare.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_engine  # type: ignore[import-not-found]  # noqa: E402

from harvester.engine.sysdb import SystemDatabase  # noqa: E402
from harvester.logging_setup import configure_logging  # noqa: E402

OUT = HERE / "results" / "scale.json"
STEPS_PER_RUN = 10


def prefill(db: Path, stored_steps: int, queued: int) -> None:
    """Finished 10-step runs (``stored_steps`` rows of history) and ``queued`` runs
    asleep for an hour, written straight into the engine's tables."""
    SystemDatabase(f"sqlite:///{db}").dispose()  # the engine's schema
    conn = sqlite3.connect(db)
    now = time.time()
    run_rows, step_rows = [], []
    for _ in range(stored_steps // STEPS_PER_RUN):
        rid = str(uuid.uuid4())
        t = now - 86400 * 0.5
        run_rows.append((rid, "bench-old", "COMPLETED", t, t, t + 0.01))
        step_rows.extend(
            (rid, f"h{s}", f"s{s}", "StepRun", 0, t, t + 0.001, "null")
            for s in range(STEPS_PER_RUN)
        )
    conn.executemany(
        "insert into engine_runs (run_id, fn_id, events, status, attempt, steps, stack,"
        " pending, parallel, created_at, started_at, ended_at)"
        " values (?, ?, '[]', ?, 0, '{}', '[]', '[]', 0, ?, ?, ?)",
        run_rows,
    )
    conn.executemany(
        "insert into engine_steps (run_id, step_id, name, op, attempt, started_at,"
        " ended_at, output) values (?, ?, ?, ?, ?, ?, ?, ?)",
        step_rows,
    )
    sleepers = [str(uuid.uuid4()) for _ in range(queued)]
    conn.executemany(
        "insert into engine_runs (run_id, fn_id, events, status, attempt, steps, stack,"
        " pending, parallel, created_at, started_at) values"
        " (?, 'bench-nap', '[]', 'RUNNING', 0, '{}', '[]', '[]', 0, ?, ?)",
        [(rid, now, now) for rid in sleepers],
    )
    conn.executemany(
        "insert into engine_queue (run_id, fn_id, kind, step_id, concurrency, due_at)"
        " values (?, 'bench-nap', 'wake', 'nap', '[]', ?)",
        [(rid, now + 3600) for rid in sleepers],
    )
    conn.commit()
    conn.close()


async def point(stored: int, queued: int, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        t0 = time.perf_counter()
        for name in ("ten-False.db", "lat.db"):
            prefill(tmp / name, stored, queued)
        filled = time.perf_counter() - t0
        lat = await bench_engine.latency(tmp, args.samples)
        ten = await bench_engine.ten_steps(tmp, args.runs, flow=False)
    row = {"stored_steps": stored, "queued": queued, **ten, **lat, "prefill_s": filled}
    print(
        f"stored {stored:>9,} queued {queued:>7,}: {ten['steps_per_s']:6.0f} steps/s, "
        f"first step p50 {lat['p50_ms']:.2f} ms p99 {lat['p99_ms']:.2f} ms",
        flush=True,
    )
    return row


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--stored", default="0,100000,1000000")
    ap.add_argument("--queued", type=int, default=100_000)
    ap.add_argument("--sleepers", default="10000,100000")
    ap.add_argument("--plot", action="store_true", help="only redraw docs/scale.png")
    args = ap.parse_args()
    if args.plot:
        plot()
        return
    configure_logging("WARNING", "console")
    points = [await point(int(n), 0, args) for n in args.stored.split(",") if n]
    if args.queued:
        points.append(await point(0, args.queued, args))
    memory = []
    for n in [int(n) for n in args.sleepers.split(",") if n]:
        with tempfile.TemporaryDirectory() as d:
            r = await bench_engine.sleepers(Path(d), n)
        print(f"{n:>7,} sleeping runs: {r['rss_mb']:.0f} MB RSS", flush=True)
        memory.append({"sleepers": n, **r})
    OUT.write_text(
        json.dumps({"argv": sys.argv, "at": time.time(), "points": points, "memory": memory})
    )
    print(f"figures in {OUT}")


def plot() -> None:
    """Draw the curve with the peers' matplotlib (not a project dependency)."""
    sys.path.insert(0, str(HERE.parent))
    from compare import peers_python  # type: ignore[import-not-found]

    subprocess.run(
        [peers_python(), str(HERE / "peers" / "plot_scale.py"), str(OUT)],
        check=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
