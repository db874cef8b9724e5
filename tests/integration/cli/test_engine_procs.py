"""`--workers N`: another engine process on the same database takes a share of the
queue's work: its own copy of the functions, the simulator over HTTP, leases on the
shared database (SQLite and Postgres); calls of functions with a concurrency limit stay
with the main process (tests/integration/engine/test_two_engines.py checks the limit).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from harvester.cli import engine_procs
from harvester.jobs.events import DISCOVERY_REQUESTED
from harvester.runtime import build_runtime, summarize
from harvester.settings import Settings
from harvester.sim.tiktok import create_app as create_sim_app
from harvester.web.app import create_app
from tests.free_port import free_port

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "SKIPPED"}


@pytest.fixture
def simulator() -> Iterator[int]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_sim_app(seed=5), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the simulator did not start"
    yield port
    server.should_exit = True
    thread.join(timeout=10)


async def test_a_worker_process_shares_the_cycle_on_the_shared_database(
    tmp_path: Path, database_url: str, simulator: int, capfd: pytest.CaptureFixture[str]
) -> None:
    """The main process and one worker process (as `harvester up --workers 2`) run a
    cycle on one database: every run completes once, and the worker says how many calls
    it made (the calls of functions without a concurrency limit are its share: the
    limited ones stay with the main process, whose slot counts then hold)."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        port=free_port(),
        sim_port=simulator,
        regions="FR",
        api_rate_per_minute=6000,
    )
    runtime = build_runtime(settings, engine_config={"fire_crons": False})
    app = create_app(runtime)
    procs = engine_procs.spawn("up", 1, settings)
    try:
        assert engine_procs.wait_ready(procs) == []
        async with app.router.lifespan_context(app):
            await runtime.send_events(
                [{"name": DISCOVERY_REQUESTED, "data": {"regions": ["FR"], "limit": 2}}]
            )
            assert runtime.engine is not None
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                runs = runtime.engine.list_runs(limit=500).data
                harvests = [r for r in runs if r.fn_id.endswith("harvest-comments")]
                extracts = [r for r in runs if r.fn_id.endswith("extract-domains")]
                if harvests and extracts and all(r.status in TERMINAL for r in runs):
                    break
                await asyncio.sleep(0.2)
            assert runs and all(r.status == "COMPLETED" for r in runs), [
                (r.fn_id, r.status) for r in runs
            ]
            assert summarize(runtime.db).domains > 0
    finally:
        engine_procs.stop(procs)
        await runtime.aclose()
    assert procs[0].returncode == 0
    said = re.search(r"worker 1 \(pid \d+\) stopped after (\d+) calls", capfd.readouterr().err)
    assert said, "the worker did not report its calls"


def _proc(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, bufsize=0
    )


def test_up_is_told_which_workers_did_not_start() -> None:
    """A worker that exits before it is ready, or says nothing, is named (and a silent
    one killed) instead of holding `up` back."""
    ready = _proc("import time; print('starting'); print('ready', flush=True); time.sleep(30)")
    dead = _proc("import sys; sys.exit(3)")
    silent = _proc("import time; time.sleep(30)")
    started = time.monotonic()
    try:
        assert engine_procs.wait_ready([ready, dead, silent], timeout=2.0) == [3, -1]
        assert time.monotonic() - started < 10
        assert silent.poll() is not None and ready.poll() is None
    finally:
        engine_procs.stop([ready, dead, silent], timeout=5)
    assert ready.poll() is not None
