"""``harvester extract`` end to end on a realistic mix: comments per CPU second of the
CLI process (start-up, reading, extraction, JSON lines), one core.

    uv run python bench/bench_extract_cli.py [--n 1000000] [--runs 3] [--corpus mix|sim]
        [--against DIR]

The mix is ``bench/extract_mix.py`` (URLs, obfuscations in a dozen languages, emoji,
CJK, e-mails, invisible characters); ``sim`` is the simulator's comments. Each run is a
fresh ``harvester extract FILE`` writing to /dev/null; the CPU time is the child's user
+ system time, which is what one dedicated core does whatever else shares the machine.
Wall time is printed too. The children write their bytecode cache (under a temporary
directory), as any normal install has one: without it every start compiles the
modules again (``PYTHONDONTWRITEBYTECODE`` is set on the development machine).

``--against DIR`` also runs the CLI of another source tree (``DIR/src``: e.g.
``git archive <commit> src | tar -x -C DIR``), alternating run by run with this one,
so that both are measured in the same minutes.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.extract_mix import realistic_mix

from harvester.sim.tiktok import iter_comments


def _harvester() -> list[str]:
    exe = Path(sys.executable).with_name("harvester")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "harvester.cli"]


def run_once(path: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``harvester extract path > /dev/null``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run([*_harvester(), "extract", str(path)], stdout=sink, check=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=29)
    ap.add_argument("--corpus", choices=("mix", "sim"), default="mix")
    ap.add_argument("--against", type=Path, help="another source tree to compare with")
    args = ap.parse_args()
    if args.corpus == "mix":
        lines = realistic_mix(args.seed, args.n)
    else:
        lines = [text for _cid, text, _truth in iter_comments(args.seed, args.n)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{args.corpus}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        envs = {"this tree": {**env, "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache")}}
        if args.against:
            src = str(args.against.resolve() / "src")
            envs[str(args.against)] = {
                **env,
                "PYTHONPATH": src,
                "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache-against"),
            }
        for e in envs.values():
            run_once(path, e)  # warm: bytecode and page cache
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in envs}
        for i in range(args.runs):
            for name, e in envs.items():
                wall, cpu = run_once(path, e)
                results[name].append((wall, cpu))
                print(
                    f"run {i + 1}, {name}: {args.n / cpu:,.0f} comments per CPU second "
                    f"({cpu:.2f} s CPU, {wall:.2f} s wall: {args.n / wall:,.0f}/s)",
                    flush=True,
                )
    load = os.getloadavg()[0]
    for name, runs in results.items():
        cpu = statistics.median(c for _, c in runs)
        wall = statistics.median(w for w, _ in runs)
        print(
            f"{name}: median of {args.runs}: {args.n / cpu:,.0f} comments per CPU second, "
            f"{args.n / wall:,.0f}/s wall ({args.corpus}, load average {load:.1f})"
        )


if __name__ == "__main__":
    main()
