"""SQLite's WAL checkpoints, off the event loop.

In WAL mode SQLite copies the log back into the database file (a checkpoint, with an
fsync) from inside whichever commit takes the log past 1,000 pages. For the engine that
commit is an SDK call's outcome or an event's ingest, on the event loop: every ~100
runs one of them stalled every run of the process for 10-20 ms (the p99 of event ->
first step was 17-19 ms, its p50 1.5 ms). The engine's connections therefore leave
checkpoints to this thread, which runs a PASSIVE checkpoint (it never waits for, nor
blocks, a reader or a writer) every ``interval`` seconds on a connection of its own;
SQLite releases the GIL while it copies and syncs.
"""

from __future__ import annotations

import sqlite3
import threading

import structlog

log = structlog.get_logger("harvester.engine")
CHECKPOINT_EVERY_S = 0.25


class WalCheckpointer:
    """A daemon thread checkpointing one SQLite file's WAL every ``interval`` seconds
    (and once more when stopped)."""

    def __init__(self, path: str, interval: float = CHECKPOINT_EVERY_S) -> None:
        self.path = path
        self.interval = interval
        self.checkpoints = 0  # PASSIVE checkpoints run (for tests and metrics)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="engine-wal-checkpoints", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after one last checkpoint (so a stopped engine leaves a short
        log); returns at once when it never started."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout=10)

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=0, check_same_thread=True)
        except sqlite3.Error:
            log.exception("cannot open the engine database for WAL checkpoints", path=self.path)
            return
        try:
            while not self._stop.wait(self.interval):
                self._checkpoint(conn)
            self._checkpoint(conn)
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.checkpoints += 1
        except sqlite3.Error as exc:  # another checkpoint in progress, a locked file
            log.debug("WAL checkpoint skipped", path=self.path, reason=str(exc))
