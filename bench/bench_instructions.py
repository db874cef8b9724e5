"""Engine cost per step in CPU instructions (valgrind callgrind): repeatable where
wall-clock figures are not (this machine's speed drifts by ±30% within minutes).

Runs the 10-step function of bench_engine.py (in-process SDK app, SQLite) under
callgrind for two sizes; the difference divided by the extra steps is the marginal
cost of one step, start-up and imports excluded.

    uv run python bench/bench_instructions.py [--small 20] [--large 40]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _count(runs: int) -> int:
    callgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    out = subprocess.run(
        [*callgrind, sys.executable, __file__, "--inner", str(runs)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    match = re.search(r"Collected\s*:\s*([\d,]+)", out.stderr)
    if match is None:
        raise SystemExit(f"callgrind printed no total:\n{out.stderr[-1000:]}")
    return int(match.group(1).replace(",", ""))


def _inner(runs: int) -> None:
    sys.path.insert(0, str(HERE))
    import bench_engine  # type: ignore[import-not-found]

    with tempfile.TemporaryDirectory() as d:
        asyncio.run(bench_engine.ten_steps(Path(d), runs, flow=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", type=int, default=20, help="runs in the small measurement")
    ap.add_argument("--large", type=int, default=40, help="runs in the large measurement")
    ap.add_argument("--inner", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner is not None:
        _inner(args.inner)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install -y valgrind")
    if args.large <= args.small:
        ap.error("--large must be greater than --small")
    print(f"10-step function under callgrind: {args.small} runs…", flush=True)
    small = _count(args.small)
    print(f"… and {args.large} runs", flush=True)
    large = _count(args.large)
    per_step = (large - small) / ((args.large - args.small) * 10)
    print(
        f"{per_step / 1e6:.2f} M instructions per step (marginal, {args.small}→{args.large} runs)"
    )


if __name__ == "__main__":
    main()
