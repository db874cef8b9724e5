"""Storage faults from outside the program: a second writer holding SQLite's lock, a
full disk, a read-only data directory. Each is a clear CLI error or API 503, nothing is
corrupted (PRAGMA integrity_check), and work resumes once the cause is gone."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from harvester.cli import app
from harvester.runtime import build_runtime
from harvester.settings import Settings, get_settings
from harvester.store import db as store_db
from harvester.web.app import create_app
from tests.free_port import free_port

runner = CliRunner()


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def _kill_switch(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["kill-switch", *args])
    return res.exit_code, " ".join((res.stdout + res.stderr).split())


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HARVESTER_PORT", str(free_port()))  # no server: the CLI writes files
    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT_MS", 300)  # wait 0.3 s, not 30 s
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


@pytest.fixture
def small_disk(data_dir: Path) -> Iterator[Path]:
    """``data_dir`` on its own 3 MB tmpfs (needs root), for a disk that fills up."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    data_dir.mkdir(parents=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(data_dir)],
                         capture_output=True, text=True, check=False)  # fmt: skip
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        yield data_dir
    finally:
        subprocess.run(["umount", "-l", str(data_dir)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass  # ENOSPC: the disk is full
    return filler


def test_a_second_writer_holding_the_lock_is_a_clear_error_then_work_resumes(
    data_dir: Path,
) -> None:
    assert _kill_switch("off")[0] == 0  # creates and migrates the database
    db_file = data_dir / "harvester.db"
    other = sqlite3.connect(db_file, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # as `harvester up` mid-write
    code, out = _kill_switch("on", "--reason", "locked")
    assert code == 1 and "another process holds" in out and "database is locked" in out
    assert "Traceback" not in out
    other.execute("ROLLBACK")
    other.close()
    assert _kill_switch("on", "--reason", "after")[0] == 0
    assert "ON" in _kill_switch("status")[1]
    assert _integrity(db_file) == "ok"


async def test_the_api_answers_503_while_locked_and_serves_on(data_dir: Path) -> None:
    runtime = build_runtime(Settings(data_dir=data_dir))
    transport = httpx.ASGITransport(app=create_app(runtime, start_engine=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        assert (await c.get("/api/v1/kill-switch")).json()["on"] is False  # migrated
        other = sqlite3.connect(data_dir / "harvester.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        res = await c.post("/api/v1/kill-switch", json={"on": True})
        assert res.status_code == 503 and "database is locked" in res.json()["detail"]
        assert res.headers["retry-after"]
        assert (await c.get("/health")).status_code == 200  # still serving
        other.execute("ROLLBACK")
        other.close()
        assert (await c.post("/api/v1/kill-switch", json={"on": True})).json()["on"] is True
    await runtime.aclose()
    assert _integrity(data_dir / "harvester.db") == "ok"


def test_a_full_disk_is_a_clear_error_and_nothing_is_corrupted(small_disk: Path) -> None:
    assert _kill_switch("off")[0] == 0
    filler = _fill(small_disk)
    code, out = _kill_switch("on", "--reason", "disk full")
    assert code == 1 and "full" in out and "Traceback" not in out
    filler.unlink()  # the cause is gone
    assert _integrity(small_disk / "harvester.db") == "ok"
    assert _kill_switch("on", "--reason", "space again")[0] == 0
    assert "space again" in _kill_switch("status")[1]


async def test_the_api_answers_503_on_a_full_disk_and_resumes(small_disk: Path) -> None:
    runtime = build_runtime(Settings(data_dir=small_disk))
    transport = httpx.ASGITransport(app=create_app(runtime, start_engine=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        ok = await c.post("/e/k", json={"name": "test/before", "data": {}})
        assert ok.status_code == 200
        filler = _fill(small_disk)
        big = [{"name": "test/full", "data": {"x": "y" * 100_000}} for _ in range(4)]
        res = await c.post("/e/k", json=big)
        assert res.status_code == 503 and "full" in res.json()["detail"], res.text
        assert (await c.get("/health")).status_code == 200
        filler.unlink()
        again = await c.post("/e/k", json=big)
        assert again.status_code == 200 and len(again.json()["ids"]) == 4
    await runtime.aclose()
    assert _integrity(small_disk / "engine.db") == "ok"


def test_a_read_only_data_directory_is_a_clear_error_then_work_resumes(
    small_disk: Path,
) -> None:
    assert _kill_switch("off")[0] == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        code, out = _kill_switch("on")
        assert code == 1 and "writable" in out and "Traceback" not in out
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert _integrity(small_disk / "harvester.db") == "ok"
    assert _kill_switch("on")[0] == 0
