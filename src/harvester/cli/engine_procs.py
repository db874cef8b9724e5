"""Engine processes: `harvester up` and `harvester engine` use every core. (Formerly
``worker_procs``: "worker" also names the webhook worker, a source; see the
vocabulary in docs/architecture.md. The ``--workers`` option keeps its name.)

One Python process runs the SDK's handler and the engine's transaction for one step at
a time on one core. ``--workers N`` (``HARVESTER_WORKERS``; default: the number of
cores) starts N-1 more processes beside the main one. Each is an embedded engine on the
same database, with (for ``up``) its own in-process copy of the functions, called
through the lean SDK call. They share the due work through the queue's leases (a lease
is an UPDATE guarded by "nobody holds it", SKIP LOCKED on Postgres), so a step runs
once whichever process takes it, and a run stays with the process that started its
next call. They serve no HTTP and fire no crons: the main process does both. A worker
stops on SIGTERM or SIGINT (Ctrl-C reaches the whole process group), or when its parent
is gone, and says how many calls it made.

    python -m harvester.cli.engine_procs up|engine INDEX   (what ``spawn`` starts)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from harvester.clock import monotonic

if TYPE_CHECKING:
    from harvester.engine import Engine
    from harvester.settings import Settings

ROLES = ("up", "engine")
READY = "ready"  # the line a worker prints on stdout once it takes work
STOP_TIMEOUT_S = 15.0


def default_workers(settings: Settings) -> int:
    return settings.workers or os.cpu_count() or 1


SETTINGS_ENV = "HARVESTER_WORKER_SETTINGS"  # the parent's settings, as JSON


def spawn(role: str, count: int, settings: Settings) -> list[subprocess.Popen[bytes]]:
    """Start ``count`` worker processes for ``role`` with exactly ``settings`` (passed
    whole, secrets included, in the child's environment only)."""
    env = {**os.environ, SETTINGS_ENV: _settings_json(settings)}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "harvester.cli.engine_procs", role, str(i)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        for i in range(1, count + 1)
    ]


def _settings_json(settings: Settings) -> str:
    from pydantic import SecretStr

    values = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        values[name] = value
    return json.dumps(values, default=str)


def _settings_from_env() -> Settings:
    from harvester.settings import Settings, get_settings

    raw = os.environ.get(SETTINGS_ENV)
    return Settings.model_validate(json.loads(raw)) if raw else get_settings()


def wait_ready(procs: list[subprocess.Popen[bytes]], timeout: float = 60.0) -> list[int]:
    """Until each worker has printed ``ready``; the exit codes of those that did not
    (-1: still silent after ``timeout``, then killed). The pipe is read unbuffered, so
    select() sees every byte the worker wrote."""
    failed = []
    deadline = monotonic() + timeout
    for proc in procs:
        assert proc.stdout is not None
        fd, said = proc.stdout.fileno(), b""
        while READY.encode() not in said.splitlines():
            left = deadline - monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                proc.kill()
                proc.wait()
                failed.append(-1)
                break
            chunk = os.read(fd, 4096)
            if not chunk:  # it exited before it was ready
                failed.append(proc.wait())
                break
            said += chunk
    return failed


def stop(procs: list[subprocess.Popen[bytes]], timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM each worker, wait for them to finish their calls, then kill what is left."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = monotonic() + timeout
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - monotonic()))
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def _until_told_to_stop() -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    parent = os.getppid()
    while not stopping.is_set() and os.getppid() == parent:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), 0.5)


async def _serve_up(settings: Settings, ready: Callable[[], None]) -> Engine:
    """The harvester's functions and an engine that fires no crons, serving no HTTP."""
    from harvester.runtime import build_runtime
    from harvester.web.app import create_app

    runtime = build_runtime(settings, engine_config={"fire_crons": False, "limited_calls": False})
    app = create_app(runtime)  # its lifespan starts the engine and syncs the functions
    assert runtime.engine is not None
    try:
        async with app.router.lifespan_context(app):
            ready()
            await _until_told_to_stop()
    finally:
        await runtime.aclose()
    return runtime.engine


async def _serve_engine(settings: Settings, ready: Callable[[], None]) -> Engine:
    """The engine alone: it calls the synced apps at their URLs."""
    from harvester.engine import Engine
    from harvester.runtime import engine_settings

    engine = Engine(engine_settings(settings, fire_crons=False, limited_calls=False))
    await engine.start()
    try:
        ready()
        await _until_told_to_stop()
    finally:
        await engine.stop(timeout=10)
        engine.close()
    return engine


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ROLES or not argv[1].isdigit():
        print("use: python -m harvester.cli.engine_procs up|engine INDEX", file=sys.stderr)
        return 2
    from harvester.logging_setup import configure_logging

    role, index = argv[0], int(argv[1])
    settings = _settings_from_env()
    configure_logging("WARNING", settings.log_format)

    def ready() -> None:
        print(READY, flush=True)
        os.dup2(2, 1)  # nobody reads the pipe from now on: whatever follows goes to stderr

    serve = _serve_up if role == "up" else _serve_engine
    started = monotonic()
    engine = asyncio.run(serve(settings, ready))
    print(
        f"worker {index} (pid {os.getpid()}) stopped after {engine.calls_made()} calls "
        f"in {monotonic() - started:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
