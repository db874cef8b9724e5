"""The processes of a chaos run: the simulator (TikTok: never killed, it keeps the
request log), the `harvester serve` processes that are killed and restarted, and an
alert webhook receiver. All on one pinned world clock.

Pinning: every child installs ``OffsetClock(real time + offset)`` before anything else,
with one offset for the whole run, so a restarted process continues the same clock
(``OffsetClock(start)`` alone would send it back to ``start``). The simulated world and
the crons then depend on the seed and the pinned start only.

Fast restarts by design: on a loaded 2-core machine a cold `harvester serve` spends
20-100 s importing before it can take work, longer than a stage lasts. So each role
has a warm spare: a process started in advance that installs the clock, imports the
application and then waits on its stdin; a restart tells it to go (it then only
builds the runtime and starts serving), and a new spare is started behind it.

The bench's engines are tuned in the spare, before the runtime is built (``Tuning``):
a delay in the extraction step (a slow CPU's stand-in, so an extraction call is seen
in flight) and, on request, another lease (a killed call is retried after it; too
short, and a call that outlives it runs twice). Timing only.
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
from typing import Any

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


def sim_command(world: World, seed: int, port: int, log: Path, faults: dict[str, Any]) -> list[str]:
    code = (
        "from pathlib import Path; import uvicorn; "
        "from harvester.sim.tiktok import Faults, RequestLog, create_app; "
        f"app = create_app(seed={seed}, faults=Faults(**{faults!r}), "
        f"request_log=RequestLog(Path({str(log)!r}))); "
        f"uvicorn.run(app, host='127.0.0.1', port={port}, log_config=None, log_level='warning')"
    )
    return world.command(code)


@dataclass(frozen=True)
class Tuning:
    """What the bench changes in the engines it starts (timing only)."""

    lease_s: float | None = None  # the engine's lease on a call (None: its own, 60 s)
    extract_delay_ms: float = 0.0  # added inside the extraction step


def serve_code(tuning: Tuning) -> str:
    """A warm spare's code: tune, import the application, wait for "go", serve."""
    patches = ""
    if tuning.lease_s is not None:
        patches += (
            "import harvester.runtime as _rt; _es = _rt.engine_settings; _rt.engine_settings"
            f" = lambda s, **kw: _es(s, **{{'lease_seconds': {tuning.lease_s!r}, **kw}}); "
        )
    if tuning.extract_delay_ms > 0:
        patches += (
            "import asyncio, harvester.jobs.functions.extraction as _ex\n"
            "_ec = _ex.extract_comments\n"
            "async def _slow(deps, ids):\n"
            f"    await asyncio.sleep({tuning.extract_delay_ms / 1000!r})\n"
            "    return await _ec(deps, ids)\n"
            "_ex.extract_comments = _slow; "
        )
    return (
        patches + "import sys, harvester.web.app; from harvester.cli.app import main; "
        "sys.stdin.readline(); sys.argv = ['harvester', 'serve']; main()"
    )


def wait_health(
    port: int, what: str, proc: subprocess.Popen[bytes] | None = None, limit: float = 300
) -> bool:
    """True once the process answers; False if ``proc`` exited first."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return True
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
    """The killable `harvester serve` processes, by role, each with a warm spare."""

    world: World
    env: dict[str, str]
    ports: dict[str, int]
    logs: Path
    tuning: Tuning = field(default_factory=Tuning)
    lives: list[Incarnation] = field(default_factory=list)
    restart_s: list[float] = field(default_factory=list)
    spares: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    spares_lost: list[str] = field(default_factory=list)

    def _spawn(self, role: str) -> subprocess.Popen[bytes]:
        out = (self.logs / f"{role}.log").open("ab")
        env = {**self.env, "HARVESTER_PORT": str(self.ports[role])}
        cmd = self.world.command(serve_code(self.tuning))
        return subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=out, stderr=out)

    def warm(self) -> None:
        """Start a spare for every role that has none."""
        for role in self.ports:
            if role not in self.spares:
                self.spares[role] = self._spawn(role)

    def start(self, role: str, wait: bool = True) -> None:
        """Start ``role`` (its spare, if warm); without ``wait`` it becomes ready in the
        background (the other engines keep working meanwhile, as in production)."""
        proc = self.spares.pop(role, None)
        if proc is None or proc.poll() is not None:  # none yet, or it died: start cold
            if proc is not None:
                self.spares_lost.append(f"{role}: exit {proc.returncode}")
                print(
                    f"the spare of {role} died (exit {proc.returncode}): a cold start", flush=True
                )
            proc = self._spawn(role)
        t = time.time()
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        life = Incarnation(role, proc, t)
        self.lives.append(life)
        self.spares[role] = self._spawn(role)  # the next restart's

        def ready() -> None:
            if not wait_health(self.ports[role], role, proc):  # it died starting (e.g.
                self.spares_lost.append(f"{role}: exit {proc.returncode} while starting")
                self.start(role, wait=True)  # its database restarting): start another
                return
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
        # The life told to go last before the owner id was made (an engine makes it as
        # it starts, after its go): a UUIDv7 keeps whole milliseconds of the same clock.
        born = [life for life in self.lives if life.spawned - 0.005 <= ms]
        return max(born, key=lambda life: life.spawned).role if born else None

    def kill(self, role: str, n: int, stages: tuple[str, ...], runs: frozenset[str]) -> Kill:
        life = self.current(role)
        at = self.world.now()
        life.proc.send_signal(signal.SIGKILL)
        life.proc.wait()
        # One engine: nothing runs until it is back. Several: the others go on.
        self.start(role, wait=len(self.ports) == 1)
        return Kill(n, at, role, stages, runs)

    def stop(self) -> None:
        procs = [life.proc for life in self.lives] + list(self.spares.values())
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


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
