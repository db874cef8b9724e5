"""SQLite's write lock between engine processes: an engine transaction takes it at
BEGIN (BEGIN IMMEDIATE); while another process holds it, the engine tries again every
fraction of a millisecond instead of on SQLite's own 1-100 ms schedule, and gives up
with SQLite's "database is locked" after the busy timeout, as before. And the due
timers' index reaches databases made before it."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from harvester.engine.sysdb import BUSY_TIMEOUT_S, SystemDatabase, begin_immediate


def _writer(path: Path) -> sqlite3.Connection:
    """Another process's connection holding the write lock."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def _busy_timeout_ms(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA busy_timeout").fetchone()[0])


def test_a_transaction_waits_for_another_writer_then_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "engine.db"
    db = SystemDatabase(f"sqlite:///{path}")
    other = _writer(path)
    released = threading.Event()

    def release() -> None:
        released.set()  # before the commit: the engine cannot have the lock yet
        other.commit()

    timer = threading.Timer(0.2, release)
    timer.start()
    try:
        with db.tx() as conn:
            assert released.is_set(), "the transaction began while another writer held the lock"
            # Held from BEGIN: a third writer cannot start meanwhile.
            third = sqlite3.connect(path, isolation_level=None, timeout=0)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                third.execute("BEGIN IMMEDIATE")
            third.close()
            raw = conn.connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)
            assert _busy_timeout_ms(raw) == int(BUSY_TIMEOUT_S * 1000)
    finally:
        timer.join()
        other.close()
        db.dispose()


def test_it_gives_up_with_database_is_locked_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "engine.db"
    SystemDatabase(f"sqlite:///{path}").dispose()
    other = _writer(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            begin_immediate(conn, timeout=0.05)
        assert not conn.in_transaction
        assert _busy_timeout_ms(conn) == int(BUSY_TIMEOUT_S * 1000)  # restored
        other.commit()
        begin_immediate(conn, timeout=0.05)  # free now: taken at the first try
        assert conn.in_transaction
    finally:
        other.close()
        conn.close()


def test_an_error_other_than_busy_is_raised_at_once(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "engine.db", isolation_level=None)
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("BEGIN")  # a transaction cannot begin inside another
    with pytest.raises(sqlite3.OperationalError, match="within a transaction"):
        begin_immediate(conn, timeout=30)
    assert _busy_timeout_ms(conn) == 30000
    conn.close()


def test_a_database_made_before_the_timers_index_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "engine.db"
    SystemDatabase(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP INDEX ix_engine_queue_kind_due")
    db = SystemDatabase(f"sqlite:///{path}")
    try:
        with sqlite3.connect(path) as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            plan = conn.execute("EXPLAIN QUERY PLAN " + db._raw_due_timers, (1, 1, 9)).fetchall()
        assert "ix_engine_queue_kind_due" in names
        assert any("ix_engine_queue_kind_due" in str(row) for row in plan), plan
    finally:
        db.dispose()
