"""The processes of a chaos run: the simulator (TikTok: never killed, it keeps the
request log), the `harvester serve` processes that are killed and restarted, and an
alert webhook receiver. All on one pinned world clock.

Pinning: every child installs ``OffsetClock(real time + offset)`` before anything else,
with one offset for the whole run, so a restarted process continues the same clock
(``OffsetClock(start)`` alone would send it back to ``start``). The simulated world and
the crons then depend on the seed and the pinned start only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from bench.chaos_check import Kill

# Just after a */10 boundary: the discovery cron fires next at 12:10, after the run,
# the health check at 12:05. One 10-minute slot of ads: the same world every run.
PINNED = datetime(2026, 11, 30, 12, 0, 20, tzinfo=UTC)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class World:
    """The run's clock: real time + ``offset`` (what every child process reads)."""

    offset: float

    @classmethod
    def pinned(cls, start: datetime = PINNED) -> World:
        return cls(start.timestamp() - time.time())

    def now(self) -> float:
        return time.time() + self.offset

    def command(self, code: str) -> list[str]:
        """``python -c code`` on this clock."""
        head = (
            "import time; from harvester.clock import OffsetClock, install; "
            f"install(OffsetClock(time.time() + {self.offset!r})); "
        )
        return [sys.executable, "-c", head + code]


def sim_command(world: World, seed: int, port: int, log: Path, latency_ms: float) -> list[str]:
    code = (
        "from pathlib import Path; import uvicorn; "
        "from harvester.tiktok.simulator import Faults, RequestLog, create_app; "
        f"app = create_app(seed={seed}, faults=Faults(latency_ms={latency_ms}), "
        f"request_log=RequestLog(Path({str(log)!r}))); "
        f"uvicorn.run(app, host='127.0.0.1', port={port}, log_config=None, log_level='warning')"
    )
    return world.command(code)


def serve_command(world: World) -> list[str]:
    code = (
        "import runpy, sys; sys.argv = ['harvester', 'serve']; "
        "runpy.run_module('harvester.cli.app', run_name='__main__', alter_sys=True)"
    )
    return world.command(code)


def wait_health(port: int, what: str, limit: float = 300) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not answer on port {port} within {limit:.0f} s")


def wait_port(port: int, what: str, limit: float = 60) -> None:
    import socket

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not listen on port {port} within {limit:.0f} s")


@dataclass
class Incarnation:
    """One life of a role's process: an engine's lease owner id is a UUIDv7 made at
    start, so its time says which life (and role) holds a lease."""

    role: str
    proc: subprocess.Popen[bytes]
    spawned: float
    ready: float = 0.0


@dataclass
class Procs:
    """The killable `harvester serve` processes, by role."""

    world: World
    env: dict[str, str]
    ports: dict[str, int]
    logs: Path
    lives: list[Incarnation] = field(default_factory=list)
    restart_s: list[float] = field(default_factory=list)

    def start(self, role: str, wait: bool = True) -> None:
        """Start ``role``; without ``wait`` it becomes ready in the background (the
        other engines keep working meanwhile, as in production)."""
        t = time.time()
        out = (self.logs / f"{role}.log").open("ab")
        env = {**self.env, "HARVESTER_PORT": str(self.ports[role])}
        proc = subprocess.Popen(serve_command(self.world), env=env, stdout=out, stderr=out)
        life = Incarnation(role, proc, t)
        self.lives.append(life)

        def ready() -> None:
            wait_health(self.ports[role], role)
            life.ready = time.time()
            self.restart_s.append(life.ready - t)

        if wait:
            ready()
        else:
            threading.Thread(target=ready, daemon=True).start()

    def ready(self, role: str) -> bool:
        return self.current(role).ready > 0

    def current(self, role: str) -> Incarnation:
        return [life for life in self.lives if life.role == role][-1]

    def role_of(self, owner: str) -> str | None:
        try:
            ms = int(owner[:12], 16) / 1000
        except ValueError:
            return None
        for life in self.lives:
            if life.spawned - 1 <= ms <= (life.ready or time.time()) + 5:
                return life.role
        return None

    def kill(self, role: str, n: int, stages: tuple[str, ...], runs: frozenset[str]) -> Kill:
        life = self.current(role)
        at = self.world.now()
        life.proc.send_signal(signal.SIGKILL)
        life.proc.wait()
        # One engine: nothing runs until it is back. Several: the others go on.
        self.start(role, wait=len(self.ports) == 1)
        return Kill(n, at, role, stages, runs)

    def stop(self) -> None:
        for life in self.lives:
            if life.proc.poll() is None:
                life.proc.send_signal(signal.SIGTERM)
        for life in self.lives:
            try:
                life.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                life.proc.kill()


class WebhookReceiver:
    """A Slack-compatible webhook on loopback that keeps every alert text posted."""

    def __init__(self) -> None:
        self.posts: list[str] = []
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                try:
                    posts.append(str(json.loads(body).get("text", "")))
                except ValueError:
                    posts.append(body.decode("utf-8", "replace"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()


def base_env(data: Path, sim_port: int, webhook: str, regions: str) -> dict[str, str]:
    """What every killed process shares (the database URLs are added per backend)."""
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "HARVESTER_DATA_DIR": str(data),
        "HARVESTER_SOURCE": "simulator",
        "HARVESTER_SIM_PORT": str(sim_port),
        "HARVESTER_REGIONS": regions,
        "HARVESTER_API_RATE_PER_MINUTE": "1000000",
        "HARVESTER_HARVEST_THROTTLE_PER_MINUTE": "1000000",
        "HARVESTER_ALERT_WEBHOOK_URL": webhook,
        "HARVESTER_LOG_LEVEL": "WARNING",
        "HARVESTER_LOG_FORMAT": "json",
    }
