"""The one database engine/session factory (SQLite WAL by default, Postgres by URL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000

# The store's names for what the database raises, so that callers outside the store
# (web, cli, jobs) catch storage errors without importing SQLAlchemy.
StorageError = SQLAlchemyError  # anything the database (or its driver) reported
StorageUnavailable = OperationalError  # the database could not do it: locked, full, gone


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers (dashboard) run beside the writer; NORMAL is durable in WAL mode
    # up to the last checkpointed transaction, which is what the engine relies on.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an SQLAlchemy engine with the project's pragmas and pool settings."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, **kwargs)


# What SQLite (and Postgres) say when the cause is outside the program, and what to do.
_CAUSES = (
    ("database is locked", "another process holds the database's write lock (is "
     "`harvester up` running? then use its API: it is reached on --port) — retry"),
    ("database or disk is full", "the disk is full: free space where the database lives"),
    ("no space left", "the disk is full: free space where the database lives"),
    ("readonly database", "the data directory is read-only: make it writable"),
    ("read-only file system", "the data directory is read-only: make it writable"),
    ("unable to open database file", "the database file cannot be opened: check the data "
     "directory exists and is writable"),
    ("disk i/o error", "the disk failed a read or write (is it full?): free space or "
     "check the device"),
)  # fmt: skip


def storage_problem(exc: BaseException) -> str | None:
    """A user-facing cause for a storage error outside the program (locked, disk full,
    read-only), or None when the error is something else."""
    text = str(exc).lower()
    for needle, cause in _CAUSES:
        if needle in text:
            return f"{cause} ({needle})"
    return None


def hide_password(url: str) -> str:
    """A database URL without its password (the URL itself when it does not parse)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


class Database:
    """Holds the engine and the session factory; the one way to reach the database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def ping(self) -> None:
        """Connect and run a trivial query; raises what the database says when it cannot."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
