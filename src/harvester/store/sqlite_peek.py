"""Read-only looks at a SQLite database with the standard library, for ``harvester
doctor``: the schema's revision and a day's quota rows.

Importing SQLAlchemy and the models costs a command more than the whole rest of its
start-up; these two reads need neither. The file is opened read-only (``mode=ro``), so
looking never creates or changes it. ``tests/unit/store/test_sqlite_peek.py`` keeps the
answers equal to ``migrate.current_revision`` and ``GuardState.quota_usage``.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

BUSY_TIMEOUT_S = 5.0


def _open(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)


def revision(path: Path) -> str | None:
    """The revision Alembic stamped (None: no schema yet). Raises ``sqlite3.Error``
    when the file cannot be read as a database."""
    with closing(_open(path)) as conn:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if found is None:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def quota_usage(path: Path, client_key: str, api: str, day: str) -> tuple[int, int]:
    """Requests and records ``client_key`` spent on ``api`` on ``day`` (0, 0 when
    nothing was spent). Raises ``sqlite3.Error`` (e.g. no ledger table: not upgraded)."""
    with closing(_open(path)) as conn:
        row = conn.execute(
            "SELECT requests, records FROM quota_ledger"
            " WHERE client_key = ? AND api = ? AND day = ?",
            (client_key, api, day),
        ).fetchone()
    return (0, 0) if row is None else (int(row[0]), int(row[1]))
