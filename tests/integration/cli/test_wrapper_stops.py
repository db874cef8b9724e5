"""The PID a user sees is the one that stops everything: ``./harvester up`` (the bootstrap
at the repository's root) execs the real command, so SIGTERM to it stops the server, its
simulator and its worker process within seconds, and leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.free_port import free_port

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 180.0  # migrations and two processes on a busy machine
STOP_WITHIN_S = 5.0


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def test_sigterm_to_the_wrapper_stops_the_server_and_its_workers(tmp_path: Path) -> None:
    port, sim_port = free_port(), free_port()
    env = {
        **os.environ,
        "HARVESTER_DATA_DIR": str(tmp_path),
        "HARVESTER_PORT": str(port),
        "HARVESTER_SIM_PORT": str(sim_port),
        "HARVESTER_WORKERS": "2",
        "UV_PROJECT_ENVIRONMENT": str(Path(sys.prefix)),
    }
    env.pop("DATABASE_URL", None)
    env.pop("HARVESTER_DATABASE_URL", None)
    health = f"http://127.0.0.1:{port}/health"
    log = (tmp_path / "up.log").open("wb")
    proc = subprocess.Popen(
        [str(ROOT / "harvester"), "up", "--no-discover-now"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(health) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.3)
        assert _answers(health), (tmp_path / "up.log").read_text()[-3000:]
        # The worker process is spawned once the server listens; wait until it is there.
        while not _children(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        children = _children(proc.pid)
        assert children, "the worker process of --workers 2 never started"

        proc.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic() + STOP_WITHIN_S
        while _answers(health) and time.monotonic() < stopped_at:
            time.sleep(0.1)
        assert not _answers(health), f"/health still answers {STOP_WITHIN_S} s after SIGTERM"
        assert proc.wait(timeout=STOP_WITHIN_S + 10) == 0
        left = [pid for pid in children if _alive(pid)]
        assert left == [], f"processes left running after the wrapper stopped: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
