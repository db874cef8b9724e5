"""kill -9 the engine mid-run, restart it on the same database: no run lost, no
completed step executed twice."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

from harvester.engine import Engine, EngineConfig

APP = Path(__file__).with_name("crash_app.py")
RUNS, STEPS = 3, 6


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db: str, effects: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, str(APP), db, str(effects), str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/functions", timeout=1).json()["data"]:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("crash app did not start")


def _wait_for_completion(port: int, tries: int) -> list[str]:
    """Poll the run API until every run completed (or ``tries`` run out)."""
    statuses: list[str] = []
    for _ in range(tries):
        page = httpx.get(f"http://127.0.0.1:{port}/api/v1/runs", params={"limit": 50}).json()
        statuses = [r["status"] for r in page["data"]]
        if statuses.count("COMPLETED") == RUNS:
            break
        time.sleep(0.2)
    return statuses


def _lines(effects: Path) -> list[str]:
    """The side effects (``run:step``), without the pid of the process that did it."""
    return [ln.split()[0] for ln in _raw(effects)]


def _raw(effects: Path) -> list[str]:
    return effects.read_text().splitlines() if effects.exists() else []


def test_kill_9_mid_run_loses_nothing_and_repeats_no_completed_step(tmp_path: Path) -> None:
    db, effects, port = f"sqlite:///{tmp_path / 'engine.db'}", tmp_path / "effects.txt", _port()
    proc = _start(db, effects, port)
    httpx.post(f"http://127.0.0.1:{port}/e/key", json=[{"name": "t/crash"}] * RUNS)
    kills = 0
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        done = len(_lines(effects))
        if done >= RUNS * STEPS:
            break
        if done >= (kills + 1) * 4 and kills < 3:
            time.sleep(0.3)  # the runs are sleeping between steps: kill now
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
            proc = _start(db, effects, port)
        time.sleep(0.1)
    try:
        statuses = _wait_for_completion(port, tries=100)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert kills >= 2
    assert statuses.count("COMPLETED") == RUNS, statuses
    counts = Counter(_lines(effects))
    assert len(counts) == RUNS * STEPS
    assert set(counts.values()) == {1}, [k for k, v in counts.items() if v > 1]


def test_sigterm_finishes_in_flight_work_and_releases_leases(tmp_path: Path) -> None:
    db, effects, port = f"sqlite:///{tmp_path / 'engine.db'}", tmp_path / "effects.txt", _port()
    proc = _start(db, effects, port)
    httpx.post(f"http://127.0.0.1:{port}/e/key", json=[{"name": "t/crash"}] * RUNS)
    deadline = time.monotonic() + 30
    while len(_lines(effects)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    assert time.monotonic() - t0 < 15  # within the stop timeout
    engine = Engine(EngineConfig(database_url=db))
    queued = engine.list_queue()
    engine.close()
    leased = sum(1 for item in queued if item.leased)
    assert leased == 0 and queued  # work remains, and nobody holds it
    proc = _start(db, effects, port)  # a new process picks it up at once
    try:
        statuses = _wait_for_completion(port, tries=150)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert statuses.count("COMPLETED") == RUNS
    assert set(Counter(_lines(effects)).values()) == {1}


def test_two_engine_processes_on_one_postgres(tmp_path: Path, postgres_url: str) -> None:
    """Two OS processes, each an engine with its own in-process copy of the app, on
    one Postgres: the work is shared and no step runs twice.

    Each engine has 2 workers and every step waits until the other process has run a
    step too (crash_app's SHARED mode): the first engine takes 2 runs at ingest and
    holds both workers, so the other 6 runs wait in the shared queue for the second
    engine. If the work were not shared the runs would stall (and the test fail on
    its count), whatever the timing."""
    effects = tmp_path / "effects.txt"
    ports = [_port(), _port()]
    procs = [_start(postgres_url, effects, p, "2", "1") for p in ports]
    try:
        httpx.post(f"http://127.0.0.1:{ports[0]}/e/key", json=[{"name": "t/crash"}] * 8)
        deadline = time.monotonic() + 90
        while len(_lines(effects)) < 8 * 6 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=15)
    counts = Counter(_lines(effects))
    assert len(counts) == 8 * 6 and set(counts.values()) == {1}
    pids = {ln.split()[1] for ln in _raw(effects)}
    assert len(pids) == 2, "both processes should have executed steps"
