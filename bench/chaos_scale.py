"""Chaos on the scale-out setup: Postgres + Redis, three `harvester serve` processes
(each runs the app and an embedded engine; two are the "engines", the third is the web
process we post to) and one `harvester sim`. A random one of the three is SIGKILLed and
restarted ``--kills`` times during a discovery → harvest → extraction cycle; Redis and
Postgres are each restarted once in the middle (a few seconds' outage). Then the
database is checked: nothing lost, duplicated or stuck. Run through ``bench/chaos.py
--postgres --redis``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

PG = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/7"
ROLES = ("engine-1", "engine-2", "web")
REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_health(port: int, what: str, limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start on port {port}")


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "harvester.cli.app", *args], env=env, stdout=out, stderr=out
    )


def _restart_postgres() -> float:
    t = time.monotonic()
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True
    )
    return time.monotonic() - t


def _restart_redis() -> float:
    t = time.monotonic()
    subprocess.run(["redis-cli", "shutdown", "nosave"], check=False, capture_output=True)
    subprocess.run(REDIS_START, check=True)
    while subprocess.run(["redis-cli", "ping"], capture_output=True).returncode != 0:
        time.sleep(0.1)
    return time.monotonic() - t


def counts(url: str) -> dict[str, int]:
    eng = sa.create_engine(url)
    sql = {
        "videos": "select count(*) from video",
        "harvested": "select count(*) from video where harvest_status = 'harvested'",
        # deleted or private on TikTok's side: done, nothing to harvest (not lost)
        "unavailable": "select count(*) from video where harvest_status = 'unavailable'",
        "comments": "select count(*) from comment",
        "unextracted": "select count(*) from comment where extracted_at is null",
        "mentions": "select count(*) from domain_mention",
        "distinct_mentions": "select count(*) from "
        "(select distinct comment_id, domain_id from domain_mention) d",
        "dead_letters": "select count(*) from dead_letter",
        "runs_unfinished": "select count(*) from engine_runs where status in ('QUEUED', 'RUNNING')",
        "runs_failed": "select count(*) from engine_runs where status = 'FAILED'",
    }
    try:
        with eng.connect() as conn:
            return {k: int(conn.execute(sa.text(q)).scalar() or 0) for k, q in sql.items()}
    except sa.exc.SQLAlchemyError:
        return {}
    finally:
        eng.dispose()


def settled(c: dict[str, int]) -> bool:
    """Every discovered video done, every run finished, every comment extracted."""
    done = c["harvested"] + c["unavailable"] == c["videos"]
    return done and not c["runs_unfinished"] and not c["unextracted"]


def run(videos: int, kills: int, seed: int, data: Path, restarts: bool = True) -> dict[str, Any]:
    rng = random.Random(seed)
    schema = f"chaos_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG, pool_pre_ping=True)  # Postgres restarts mid-run
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG}?options=-csearch_path%3D{schema}"
    sim_port = _free_port()
    base = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS,
        "HARVESTER_DATA_DIR": str(data),
        "HARVESTER_SIM_PORT": str(sim_port),
        "HARVESTER_REGIONS": "FR,DE,ES,IT,GB",
        "HARVESTER_API_RATE_PER_MINUTE": "1000000",
        "HARVESTER_HARVEST_THROTTLE_PER_MINUTE": "1000000",
        "HARVESTER_LOG_LEVEL": "WARNING",
        "HARVESTER_LOG_FORMAT": "json",
    }
    ports = {role: _free_port() for role in ROLES}
    sim = _spawn(["sim"], base, data / "sim.log")
    procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(role: str) -> None:
        env = {**base, "HARVESTER_PORT": str(ports[role])}
        procs[role] = _spawn(["serve"], env, data / f"{role}.log")
        _wait_health(ports[role], role)

    outages: dict[str, float] = {}
    try:
        time.sleep(1)  # the simulator binds quickly; the first serve waits for health anyway
        for role in ROLES:
            start(role)
        httpx.post(
            f"http://127.0.0.1:{ports['web']}/e/key",
            json={"name": "tiktok/video.discovery.requested", "data": {"limit": videos}},
            timeout=30,
        )
        for k in range(kills):
            time.sleep(rng.uniform(0.5, 3.0))
            if restarts and k == kills // 3:
                outages["redis_restart_s"] = round(_restart_redis(), 1)
                print(f"redis restarted in {outages['redis_restart_s']} s", flush=True)
            if restarts and k == 2 * kills // 3:
                outages["postgres_restart_s"] = round(_restart_postgres(), 1)
                print(f"postgres restarted in {outages['postgres_restart_s']} s", flush=True)
            role = rng.choice(ROLES)
            procs[role].send_signal(signal.SIGKILL)
            procs[role].wait()
            c = counts(url)
            got = f"videos {c.get('videos')}, harvested {c.get('harvested')}"
            print(f"kill {k + 1:2d} ({role}): {got}, comments {c.get('comments')}", flush=True)
            start(role)
        started = time.monotonic()
        deadline = started + 600
        while time.monotonic() < deadline:
            c = counts(url)
            if c.get("videos") and settled(c):
                break
            time.sleep(2)
        settle_s = round(time.monotonic() - started, 1)
    finally:
        for p in [*procs.values(), sim]:
            p.send_signal(signal.SIGTERM)
        for p in [*procs.values(), sim]:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    c = counts(url)
    print(f"counts: {c}", flush=True)  # before the cleanup, which may fail on its own
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
    return {**c, **outages, "settle_after_last_kill_s": settle_s}
