"""`harvester once` against a real `harvester worker` process on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli import app
from harvester.settings import get_settings
from tests.one_day import on_day_command, one_day

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the worker exited"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("the worker never listened")


def test_once_through_a_worker_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = _free_port()
    env = {**os.environ, "WORKER_WEBHOOK_SECRET": "s3cret", "HARVESTER_DATA_DIR": str(tmp_path)}
    # The worker's simulated world and this test's `once` live on one day (tests/one_day).
    cmd = on_day_command("harvester.cli.app", "worker", "--simulator", "--port", str(port))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, proc, time.monotonic() + 60)
        for k, v in {
            "HARVESTER_DATA_DIR": str(tmp_path),
            "HARVESTER_SOURCE": "webhook",
            "WORKER_WEBHOOK_URL": f"http://127.0.0.1:{port}/",
            "WORKER_WEBHOOK_SECRET": "s3cret",
            "HARVESTER_PORT": str(_free_port()),
        }.items():
            monkeypatch.setenv(k, v)
        get_settings.cache_clear()
        data = '{"regions": ["FR"], "limit": 2}'
        with one_day():
            res = runner.invoke(app, ["once", "--json", "--data", data])
    finally:
        get_settings.cache_clear()
        proc.terminate()
        proc.wait(timeout=30)
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["videos"] == 2 and summary["comments"] > 0 and summary["failures"] == 0
