"""Chaos: SIGKILL `harvester up` (engine + app + simulator) at random moments during a
pipeline run, restart it, repeat; then check the database. Loopback only, bounded.

    uv run python bench/chaos.py [--videos 500] [--kills 20] [--seed 1]
    uv run python bench/chaos.py --postgres --redis   # the scale-out setup: chaos_scale.py
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "harvester.cli.app", "up", "--no-discover-now"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("harvester up did not start")


def counts(data: Path) -> dict[str, int]:
    app = sqlite3.connect(data / "harvester.db")
    eng = sqlite3.connect(data / "engine.db")
    q = lambda c, sql: c.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "videos": q(app, "select count(*) from video"),
        "harvested": q(app, "select count(*) from video where harvest_status = 'harvested'"),
        "comments": q(app, "select count(*) from comment"),
        "unextracted": q(app, "select count(*) from comment where extracted_at is null"),
        "mentions": q(app, "select count(*) from domain_mention"),
        "distinct_mentions": q(
            app, "select count(*) from (select distinct comment_id, domain_id from domain_mention)"
        ),
        "dead_letters": q(app, "select count(*) from dead_letter"),
        "runs_unfinished": q(
            eng, "select count(*) from engine_runs where status in ('QUEUED', 'RUNNING')"
        ),
        "runs_failed": q(eng, "select count(*) from engine_runs where status = 'FAILED'"),
        "queue": q(eng, "select count(*) from engine_queue where kind = 'call'"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    # The discovery limit. It counts ads: linked to their advertisers' posts, they name
    # fewer distinct videos (500 ads gave 71 on the simulator).
    ap.add_argument("--videos", type=int, default=500)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--postgres", action="store_true", help="scale-out: Postgres (+ --redis)")
    ap.add_argument("--redis", action="store_true", help="scale-out: Redis (+ --postgres)")
    ap.add_argument(
        "--no-restarts", action="store_true", help="scale-out without restarting the services"
    )
    args = ap.parse_args()
    if args.postgres or args.redis:
        if not (args.postgres and args.redis):
            raise SystemExit("the scale-out setup needs both --postgres and --redis")
        _scale_out(args.videos, args.kills, args.seed, not args.no_restarts)
        return
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as d:
        data = Path(d)
        port, sim_port = free_port(), free_port()
        env = {
            **os.environ,
            "HARVESTER_DATA_DIR": str(data),
            "HARVESTER_PORT": str(port),
            "HARVESTER_SIM_PORT": str(sim_port),
            "HARVESTER_REGIONS": "FR,DE,ES,IT,GB",
            "HARVESTER_API_RATE_PER_MINUTE": "1000000",
            "HARVESTER_HARVEST_THROTTLE_PER_MINUTE": "1000000",
            "HARVESTER_LOG_LEVEL": "ERROR",
        }
        proc = start(env, port)
        httpx.post(
            f"http://127.0.0.1:{port}/e/key",
            json={"name": "tiktok/video.discovery.requested", "data": {"limit": args.videos}},
        )
        for k in range(args.kills):
            time.sleep(rng.uniform(0.5, 3.0))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            c = counts(data)
            print(
                f"kill {k + 1:2d}: videos {c['videos']}, harvested {c['harvested']}, "
                f"comments {c['comments']}",
                flush=True,
            )
            proc = start(env, port)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            c = counts(data)
            if (
                c["videos"]
                and c["harvested"] == c["videos"]
                and not c["runs_unfinished"]
                and not c["unextracted"]
            ):
                break
            time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        c = counts(data)
    print(f"after {args.kills} kills: {c}")
    _verdict(c)


def _scale_out(videos: int, kills: int, seed: int, restarts: bool) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import chaos_scale

    with tempfile.TemporaryDirectory() as d:
        c = chaos_scale.run(videos, kills, seed, Path(d), restarts)
    done = "one Redis and one Postgres restart" if restarts else "no service restart"
    print(f"after {kills} kills, {done}: {c}")
    _verdict(c)


def _verdict(c: dict[str, Any]) -> None:
    ok = (
        c.get("videos", 0) > 0
        and c["harvested"] + c.get("unavailable", 0) == c["videos"]
        and c["mentions"] == c["distinct_mentions"]
        and not c["runs_unfinished"]
        and not c["unextracted"]
    )
    print(
        "RESULT:",
        "every video harvested, nothing duplicated, no run lost or stuck"
        if ok
        else "PROBLEM (see counts above)",
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
