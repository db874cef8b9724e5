"""The engine's commits never checkpoint SQLite's WAL (a 10-20 ms stall of the event
loop every ~1,000 pages); its own thread does, while the engine runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from harvester.engine import Engine, EngineConfig
from harvester.engine.checkpoints import WalCheckpointer
from harvester.engine.sysdb import SystemDatabase


def _write(db: SystemDatabase, tag: str, n: int = 1_500) -> None:
    """``n`` commits of about a page each: past SQLite's 1,000-page checkpoint mark."""
    blob = "x" * 3_000
    for i in range(n):
        with db.tx() as conn:
            ev = {"name": "w/x", "data": {"b": blob}, "id": f"{tag}-{i}", "ts": i}
            db.insert_event(conn, ev, float(i))


def _wait_for(cond: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "not within the timeout"
        time.sleep(0.01)


def test_commits_leave_checkpoints_to_the_thread(tmp_path: Path) -> None:
    ours, plain = tmp_path / "ours.db", tmp_path / "plain.db"
    db = SystemDatabase(f"sqlite:///{ours}", own_checkpoints=True)
    control = SystemDatabase(f"sqlite:///{plain}")
    start_ours, start_plain = ours.stat().st_size, plain.stat().st_size
    _write(db, "a")
    _write(control, "a")
    # SQLite's own rule checkpointed the plain file from inside a commit: its pages
    # reached the database file. Ours are all still in the log.
    assert plain.stat().st_size > start_plain + 1_000_000
    assert ours.stat().st_size == start_ours
    thread = WalCheckpointer(str(ours), interval=0.02)
    thread.start()
    _wait_for(lambda: thread.checkpoints >= 1)
    thread.stop()
    assert ours.stat().st_size > start_ours + 4_000_000  # the log is in the file now
    db.dispose()
    control.dispose()


async def test_the_engine_runs_its_checkpoint_thread_while_started(tmp_path: Path) -> None:
    def threads() -> list[str]:
        return [t.name for t in threading.enumerate() if t.name == "engine-wal-checkpoints"]

    before = len(threads())
    engine = Engine(EngineConfig(database_url=f"sqlite:///{tmp_path / 'e.db'}"))
    assert len(threads()) == before  # built, not started
    await engine.start()
    assert len(threads()) == before + 1
    await engine.stop()
    engine.close()
    assert len(threads()) == before
    memory = Engine(EngineConfig(database_url="sqlite://"))  # no file: no log to fold
    await memory.start()
    assert len(threads()) == before
    await memory.stop()
    memory.close()
