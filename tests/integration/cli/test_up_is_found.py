"""`harvester up --port P` records its address in the data dir: `doctor`, `status`,
`runs` and `send` find it there without being told the port; it logs to a rotating
JSON file in the data dir as well, without uvicorn's lines twice or Alembic's set-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.free_port import free_port

START_TIMEOUT_S = 180.0
SCRIPT = str(Path(sys.executable).parent / "harvester")


@dataclass
class Up:
    port: int
    data: Path
    env: dict[str, str]
    stderr: Path


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    data = tmp_path_factory.mktemp("up")
    port = free_port()
    env = {
        **os.environ,
        "HARVESTER_DATA_DIR": str(data),
        "HARVESTER_SIM_PORT": str(free_port()),
        "HARVESTER_WORKERS": "1",
        "HARVESTER_LOG_FORMAT": "json",
    }
    for var in ("HARVESTER_PORT", "DATABASE_URL", "HARVESTER_DATABASE_URL"):
        env.pop(var, None)
    stderr = data / "stderr.log"
    with stderr.open("wb") as err:
        proc = subprocess.Popen(
            [SCRIPT, "up", "--no-discover-now", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=data,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and not (data / "server.json").exists():
            assert proc.poll() is None, stderr.read_text()[-3000:]
            time.sleep(0.3)
        assert (data / "server.json").exists(), stderr.read_text()[-3000:]
        yield Up(port, data, env, stderr)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _cli(up: Up, *args: str) -> subprocess.CompletedProcess[str]:
    # Another folder, no HARVESTER_PORT: only the record in the data dir says where it is.
    return subprocess.run(
        [SCRIPT, *args], env=up.env, capture_output=True, text=True, timeout=120, cwd="/"
    )


def test_the_address_is_recorded(up: Up) -> None:
    record = json.loads((up.data / "server.json").read_text())
    assert record["url"] == f"http://127.0.0.1:{up.port}"
    assert httpx.get(f"{record['url']}/health", timeout=5).status_code == 200


def test_doctor_finds_the_server_on_its_port(up: Up) -> None:
    res = _cli(up, "doctor")
    assert f"running at http://127.0.0.1:{up.port}" in " ".join(res.stdout.split()), res.stdout


def test_status_and_runs_read_the_server(up: Up) -> None:
    res = _cli(up, "status", "--format", "json")
    assert res.returncode == 0, res.stderr
    assert f"server http://127.0.0.1:{up.port}" in res.stderr
    res = _cli(up, "runs", "--format", "json")
    assert res.returncode == 0 and f"server http://127.0.0.1:{up.port}" in res.stderr


def test_a_port_nobody_serves_is_an_error_not_a_fallback(up: Up) -> None:
    res = _cli(up, "runs", "--port", str(free_port()))
    assert res.returncode == 1
    assert "no harvester server answers" in res.stderr


def test_send_reaches_the_recorded_server(up: Up) -> None:
    res = _cli(up, "send", "test/ping", "--data", "{}")
    assert res.returncode == 0, res.stderr
    assert f"to http://127.0.0.1:{up.port}" in res.stderr


def test_the_log_file_holds_json_lines_and_no_chatter_twice(up: Up) -> None:
    log = up.data / "harvester.log"
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert any(x.get("event") == "engine started" for x in lines)
    assert all("logger" in x and "timestamp" in x for x in lines)
    said = [x for x in up.stderr.read_text().splitlines() if x.startswith("{")]
    events = Counter(json.loads(x)["event"] for x in said)
    assert [e for e, n in events.items() if n > 1 and "server process" in e] == []
    assert not any(e.startswith("setup plugin alembic") for e in events)
