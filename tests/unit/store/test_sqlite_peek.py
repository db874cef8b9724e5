"""``doctor``'s look at a SQLite file (standard library, read-only) answers what the
store's SQLAlchemy reads answer, and never creates or changes the file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvester.store import Database, upgrade
from harvester.store.guard_state import GuardState, QuotaKey
from harvester.store.migrate import current_revision, head_revision
from harvester.store.sqlite_peek import quota_usage, revision

KEY = QuotaKey("client", "research", "2030-03-14")
WHOSE = (KEY.client_key, KEY.api, KEY.day)


@pytest.fixture
def file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "harvester.db"
    db = Database(f"sqlite:///{path}")
    try:
        upgrade(db)
    finally:
        db.dispose()
    yield path


def _db(path: Path) -> Database:
    return Database(f"sqlite:///{path}")


def test_the_revision_is_alembics_and_the_head(file: Path) -> None:
    db = _db(file)
    try:
        assert revision(file) == current_revision(db) == head_revision()
    finally:
        db.dispose()


def test_a_database_without_a_schema_has_no_revision(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert revision(empty) is None


def test_the_quota_rows_are_the_ledgers(file: Path) -> None:
    assert quota_usage(file, *WHOSE) == (0, 0)  # nothing spent: no row
    db = _db(file)
    try:
        state = GuardState(db)
        state.seed_quota(KEY, now=1.0)
        state.count_request(KEY, (10, 100), now=2.0)
        state.count_records(KEY, 7, now=2.0)
        row = state.quota_usage(KEY)
    finally:
        db.dispose()
    assert row is not None and quota_usage(file, *WHOSE) == (row.requests, row.records) == (1, 7)
    assert quota_usage(file, "client", "commercial", KEY.day) == (0, 0)


def test_looking_creates_nothing_and_changes_nothing(file: Path, tmp_path: Path) -> None:
    before = file.read_bytes()
    revision(file)
    quota_usage(file, *WHOSE)
    assert file.read_bytes() == before
    absent = tmp_path / "absent.db"
    with pytest.raises(sqlite3.Error):
        revision(absent)
    assert not absent.exists()


def test_a_file_that_is_no_database_is_an_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(sqlite3.DatabaseError):
        revision(junk)
