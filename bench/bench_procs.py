"""How two engine processes share the 10-step workload: throughput, the main
process's share of the SDK calls, each process's CPU every half second (a process at
~0 % while the other works is one that ran out of work), and the garbage collector's
time in the main process.

    uv run python bench/bench_procs.py [--runs 1000] [--procs 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import bench_engine

from harvester.engine import runner

_calls: list[float] = []
_gc: list[float] = []
_gc_start = [0.0]


def _count_calls() -> None:
    original = runner.ItemRunner._make

    async def counted(self: Any, item: Any, run: Any) -> Any:
        _calls.append(time.perf_counter())
        return await original(self, item, run)

    runner.ItemRunner._make = counted  # type: ignore[method-assign]


def _gc_time(phase: str, _info: dict[str, Any]) -> None:
    if phase == "start":
        _gc_start[0] = time.perf_counter()
    else:
        _gc.append(time.perf_counter() - _gc_start[0])


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _engine_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-f", "spawn_main"], capture_output=True, text=True).stdout
    return [os.getpid(), *(int(p) for p in out.split())]


async def one(runs: int, procs: int) -> str:
    _calls.clear()
    _gc.clear()
    samples: list[tuple[float, dict[int, int]]] = []

    async def sample() -> None:
        while True:
            await asyncio.sleep(0.5)
            ticks = {}
            for pid in _engine_pids():
                try:
                    ticks[pid] = _cpu_ticks(pid)
                except OSError:
                    continue
            samples.append((time.perf_counter(), ticks))

    sampler = asyncio.create_task(sample())
    with tempfile.TemporaryDirectory() as d:
        result = await bench_engine.ten_steps(Path(d), runs, flow=False, procs=procs)
    sampler.cancel()
    hz = os.sysconf("SC_CLK_TCK")
    cpu = []
    for (t0, a), (t1, b) in itertools.pairwise(samples):
        cpu.append("/".join(f"{(b[p] - a.get(p, b[p])) / hz / (t1 - t0):.0%}" for p in b))
    share = len(_calls) / (runs * 11)
    return (
        f"{result['steps_per_s']:,.0f} steps/s; main process {share:.0%} of the calls; "
        f"gc {sum(_gc) * 1000:,.0f} ms in {len(_gc)} collections\n  cpu per 0.5 s: " + " ".join(cpu)
    )


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    _count_calls()
    gc.callbacks.append(_gc_time)
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    for n in range(args.repeat):
        print(f"run {n + 1} of {args.repeat}: {await one(args.runs, args.procs)}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
