"""Chaos: SIGKILL the harvester in every stage of a discovery → harvest → extraction
cycle, restart it, and check that nothing was lost, stuck or done twice.

    uv run python bench/chaos.py [--videos 120] [--seed 42]            # SQLite, one process
    uv run python bench/chaos.py --postgres --redis [--videos 120]     # two engine processes

Kills are aimed by the pipeline's progress (``chaos_kills``); duplicates are seen by
their side effects in the simulator's request log (``chaos_check``). The world and its
crons are pinned (seed and clock), so two runs with one seed compare. Loopback only,
bounded (``--limit-s``). Exit 0 only when every check holds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `bench.` from any cwd

from bench.chaos_check import Report
from bench.chaos_evidence import Databases
from bench.chaos_kills import Plan
from bench.chaos_procs import Tuning
from bench.chaos_run import Options, Setup, run


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--videos", type=int, default=120, help="videos to discover (not ads)")
    ap.add_argument("--seed", type=int, default=42, help="the simulated world's seed")
    ap.add_argument("--discovery-kills", type=int, default=1)
    ap.add_argument("--harvest-kills", type=int, default=5)
    ap.add_argument("--extraction-kills", type=int, default=5)
    ap.add_argument("--latency-ms", type=float, default=50.0, help="the simulator's per request")
    ap.add_argument(
        "--comment-latency-ms",
        type=float,
        default=4000.0,
        help="more per comment page: harvesting lasts long enough to be killed",
    )
    ap.add_argument(
        "--extract-delay-ms",
        type=float,
        default=1500.0,
        help="added in the extraction step: its calls are seen in flight",
    )
    ap.add_argument(
        "--lease-s",
        type=float,
        help="the engines' lease on a call (default: the engine's own, 60 s; at 20 s on a "
        "loaded machine calls outlive their lease and run twice: the checker sees it)",
    )
    ap.add_argument("--limit-s", type=float, default=600.0, help="the whole run's bound")
    ap.add_argument("--postgres", action="store_true", help="Postgres + Redis, two engines")
    ap.add_argument("--redis", action="store_true", help="(with --postgres)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--keep", type=Path, help="run in this (new) directory and keep its logs")
    return ap.parse_args()


def main() -> None:
    a = _args()
    opts = Options(
        videos=a.videos,
        seed=a.seed,
        plan=Plan(a.discovery_kills, a.harvest_kills, a.extraction_kills),
        latency_ms=a.latency_ms,
        limit_s=a.limit_s,
        comment_latency_ms=a.comment_latency_ms,
        tuning=Tuning(lease_s=a.lease_s, extract_delay_ms=a.extract_delay_ms),
    )
    print(f"load average at start: {os.getloadavg()}", flush=True)
    print(f"command: {' '.join(sys.argv)}", flush=True)
    if a.keep:
        a.keep.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="chaos-") as d:
        data = a.keep or Path(d)
        if a.postgres or a.redis:
            if not (a.postgres and a.redis):
                raise SystemExit("the scale-out setup needs both --postgres and --redis")
            import bench.chaos_scale as scale

            summary, report = scale.run_scale(opts, data)
        else:
            summary, report = run(_sqlite(data), opts, data)
    summary["load_average_end"] = os.getloadavg()
    _print(summary, report)
    if a.json:
        out = {"summary": summary, "figures": report.figures, "problems": report.problems}
        a.json.write_text(json.dumps(out, indent=2, default=str))
    sys.exit(0 if report.ok else 1)


def _sqlite(data: Path) -> Setup:
    dbs = Databases(f"sqlite:///{data / 'harvester.db'}", f"sqlite:///{data / 'engine.db'}")
    return Setup("SQLite, one engine process", dbs, {}, ("engine",))


def _print(summary: dict[str, Any], report: Report) -> None:
    print(json.dumps({"summary": summary, "figures": report.figures}, indent=1, default=str))
    for p in report.problems:
        print("PROBLEM:", p)
    print(
        "RESULT:",
        "every stage killed; nothing lost, stuck or done twice"
        if report.ok
        else "PROBLEM (see above)",
    )


if __name__ == "__main__":
    main()
