"""One command, the same workloads on our engine, DBOS Transact and Celery + Redis, in
the same run on the same machine; prints figures and ratios (ours / peer).

    uv run python bench/compare.py [--runs 200] [--samples 100]

The peers install from PyPI into bench/.env-peers (pinned; not project dependencies).
Durability is matched: every step's SQLite write (WAL, synchronous=NORMAL) commits
before the next step starts; DBOS keeps its system database in SQLite; Celery acks
each task late, after its write (Redis as broker, as configured on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENV = HERE / ".env-peers"
PEERS = ["dbos==3.4.*", "celery[redis]==5.7.*"]
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def peers_python() -> str:
    py = ENV / "bin" / "python"
    if not py.exists():
        print("creating the peers' environment (one time)…", flush=True)
        subprocess.run(["uv", "venv", "-q", str(ENV)], check=True)
        subprocess.run(["uv", "pip", "install", "-q", "--python", str(py), *PEERS], check=True)
    return str(py)


def run_peer(script: str, work: Path, runs: int, samples: int) -> dict[str, float]:
    out = subprocess.run(
        [peers_python(), str(HERE / "peers" / script), str(work), str(runs), str(samples)],
        cwd=HERE / "peers",
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "BENCH_WORK": str(work), "BENCH_REDIS": REDIS},
    )
    if out.returncode != 0:
        raise SystemExit(f"{script} failed:\n{out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run_ours(work: Path, runs: int, samples: int) -> dict[str, float]:
    sys.path.insert(0, str(HERE))
    import bench_engine as ours  # type: ignore[import-not-found]

    async def go() -> dict[str, float]:
        lat = await ours.latency(work, samples)
        ten = await ours.ten_steps(work, runs, flow=False)
        return {"engine": "ours", **ten, **lat}  # type: ignore[dict-item]

    return asyncio.run(go())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--samples", type=int, default=100)
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as d:
        for name, fn in (
            ("ours", run_ours),
            ("dbos", lambda w, r, s: run_peer("dbos_workloads.py", w, r, s)),
            ("celery", lambda w, r, s: run_peer("celery_workloads.py", w, r, s)),
        ):
            work = Path(d) / name
            work.mkdir()
            print(
                f"{name}: {args.runs} runs of the 10-step function, {args.samples} "
                f"latency samples…",
                flush=True,
            )
            t0 = time.perf_counter()
            results[name] = fn(work, args.runs, args.samples)
            print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)
    ours = results["ours"]
    print(f"\n{'engine':8} {'steps/s':>9} {'runs/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, r in results.items():
        print(
            f"{name:8} {r['steps_per_s']:9.0f} {r['runs_per_s']:8.1f} {r['p50_ms']:8.2f} "
            f"{r['p99_ms']:8.2f}"
        )
    for peer in ("dbos", "celery"):
        r = results[peer]
        print(
            f"ours/{peer}: steps/s ×{ours['steps_per_s'] / r['steps_per_s']:.2f}, "
            f"p50 latency ×{ours['p50_ms'] / r['p50_ms']:.2f} (lower is better)"
        )


if __name__ == "__main__":
    main()
