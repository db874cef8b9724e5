"""Chaos on the scale-out setup: Postgres + Redis, two `harvester serve` processes (each
serves the app and runs an embedded engine on the shared Postgres queue). Run through
``bench/chaos.py --postgres --redis``.

Services: the bench starts its own Redis and Postgres on free loopback ports when the
binaries exist (``redis-server``; ``initdb``/``pg_ctl`` under /usr/lib/postgresql), and
restarts each once mid-run (Redis after a third of the kills, Postgres after two
thirds). It never restarts a service it did not start: without the binaries it uses
``TEST_DATABASE_URL`` / ``TEST_REDIS_URL`` (default 127.0.0.1:5432 db ``test``, Redis db 7)
in a schema of its own, and says that the restarts were skipped and why.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from bench.chaos_check import Report
from bench.chaos_evidence import Databases, redis_quota
from bench.chaos_procs import free_port
from bench.chaos_run import Options, Setup, run

SHARED_PG = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SHARED_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/7"
ROLES = ("engine-1", "engine-2")


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and pg_ctl refuse root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class OwnPostgres:
    bin: Path
    dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="chaos-pg-")))
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self.dir.chmod(0o700)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        run = lambda *c: subprocess.run(_as_postgres([*c]), check=True, capture_output=True)  # noqa: E731
        run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres",
            "--auth=trust", "-E", "UTF8")  # fmt: skip
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-o", opts,
            "-l", str(self.dir / "log"), "-w", "start")  # fmt: skip

    def restart(self) -> float:
        # With its log file: the restarted server must not hold pg_ctl's output pipes
        # (a captured run would wait for their end as long as the server lives).
        t = time.monotonic()
        subprocess.run(
            _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast",
                          "-l", str(self.dir / "log"), "-w", "restart"]), check=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)  # fmt: skip
        return time.monotonic() - t

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast",
                          "-w", "stop"]), capture_output=True)  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class OwnRedis:
    """Append-only with fsync always: the quota ledger lives here and must survive."""

    dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="chaos-redis-")))
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        ping = ["redis-cli", "-p", str(self.port), "ping"]
        while subprocess.run(ping, capture_output=True).stdout.strip() != b"PONG":
            time.sleep(0.05)

    def restart(self) -> float:
        t = time.monotonic()
        self.stop(keep=True)
        self.start()
        return time.monotonic() - t

    def stop(self, keep: bool = False) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown"], capture_output=True)
        if self.proc is not None:
            self.proc.wait(timeout=30)
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if found and (Path(found[-1]) / "initdb").exists() and shutil.which("runuser"):
        return Path(found[-1])
    return None


def run_scale(opts: Options, data: Path) -> tuple[dict[str, Any], Report]:
    notes: list[str] = []
    pg = OwnPostgres(b) if (b := _pg_bin()) else None
    rd = OwnRedis() if shutil.which("redis-server") else None
    schema = f"chaos_{uuid.uuid4().hex[:8]}"
    try:
        if pg:
            pg.start()
        else:
            notes.append("no Postgres binaries: the shared Postgres, not restarted")
        if rd:
            rd.start()
        else:
            notes.append("no redis-server: the shared Redis (db 7), not restarted")
        base = pg.url if pg else SHARED_PG
        admin = sa.create_engine(base, pool_pre_ping=True)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = f"{base}?options=-csearch_path%3D{schema}"
        redis_url = rd.url if rd else SHARED_REDIS
        restarts: dict[str, float] = {}
        third = max(1, opts.plan.total // 3)

        def between(n: int) -> None:
            if n == third and rd:
                restarts["redis_restart_s"] = round(rd.restart(), 1)
                print(f"redis restarted in {restarts['redis_restart_s']} s", flush=True)
            if n == 2 * third and pg:
                restarts["postgres_restart_s"] = round(pg.restart(), 1)
                print(f"postgres restarted in {restarts['postgres_restart_s']} s", flush=True)

        setup = Setup(
            "Postgres + Redis, two engine processes",
            Databases(url, url),
            {"DATABASE_URL": url, "REDIS_URL": redis_url},
            ROLES,
            quota=lambda: redis_quota(redis_url),
            between_kills=between,
            notes=notes,
        )
        summary, report = run(setup, opts, data)
        setup.dbs.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        return {**summary, **restarts, "notes": notes}, report
    finally:
        if rd:
            rd.stop()
        if pg:
            pg.stop()
