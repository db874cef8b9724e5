"""The engine as a server and an SDK app as another process, over loopback HTTP:
the app syncs with INNGEST_DEV=1 and no other configuration than the engine's URL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .test_crash import _port

APP = Path(__file__).with_name("remote_app.py")


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


def test_separate_sdk_app_syncs_and_runs(tmp_path: Path) -> None:
    eport, aport = _port(), _port()
    env = {
        **os.environ,
        "HARVESTER_DATA_DIR": str(tmp_path),
        "INNGEST_DEV": "1",
        "INNGEST_BASE_URL": f"http://127.0.0.1:{eport}",
        "HARVESTER_LOG_LEVEL": "WARNING",
    }
    engine = subprocess.Popen(
        [sys.executable, "-m", "harvester.cli.app", "engine", "--port", str(eport)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    app = subprocess.Popen(
        [sys.executable, str(APP), str(aport)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"http://127.0.0.1:{eport}/health")
        _wait(f"http://127.0.0.1:{aport}/api/inngest")
        # What the dev server does when it discovers an app: ask it to sync.
        sync = httpx.put(f"http://127.0.0.1:{aport}/api/inngest", timeout=10)
        assert sync.status_code == 200, sync.text
        fns = httpx.get(f"http://127.0.0.1:{eport}/api/v1/functions").json()["data"]
        assert [f["id"] for f in fns] == ["remote-hello"]
        ids = httpx.post(
            f"http://127.0.0.1:{eport}/e/NO_EVENT_KEY_SET",
            json={"name": "r/hello", "data": {"who": "world"}},
        ).json()["ids"]
        for _ in range(100):
            runs = httpx.get(f"http://127.0.0.1:{eport}/v1/events/{ids[0]}/runs").json()["data"]
            if runs and runs[0]["status"] == "COMPLETED":
                break
            time.sleep(0.1)
        run = httpx.get(f"http://127.0.0.1:{eport}/api/v1/runs/{runs[0]['run_id']}").json()
        assert run["status"] == "COMPLETED" and run["output"] == "hello world"
        done = httpx.get(f"http://127.0.0.1:{eport}/v1/events", params={"name": "r/done"})
        assert done.json()["data"][0]["data"] == {"g": "hello world"}
    finally:
        for p in (app, engine):
            p.terminate()
            p.wait(timeout=15)
