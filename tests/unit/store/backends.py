"""Every backend the guard's state can live in, behind one fixture, so that one suite
runs against each (the way huey tests its storages).

SQLite runs in memory (a fresh database per test, a few milliseconds); Postgres is one
schema for the session, emptied before each test; Redis gets a key prefix per test.
Postgres and Redis skip with the reason when unreachable, and fail under CI=true
(``postgres_base_url`` and ``redis_url`` in tests/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from harvester.store import Database
from harvester.store.models import Base

SQL_BACKENDS = ("sqlite", "postgres")
ALL_BACKENDS = (*SQL_BACKENDS, "redis")
# What the guard keeps in the database: only these tables are made (faster than the
# migrations, which tests/integration/store checks).
GUARD_TABLES = ("breaker_state", "rate_bucket", "quota_ledger", "setting")


def _tables() -> list[sa.Table]:
    return [Base.metadata.tables[name] for name in GUARD_TABLES]


@pytest.fixture(scope="session")
def postgres_guard_db(postgres_base_url: str) -> Iterator[Database]:
    """One Postgres schema with the guard's tables for the whole session."""
    yield from _postgres_schema(postgres_base_url, _tables())


def _postgres_schema(base_url: str, tables: list[sa.Table]) -> Iterator[Database]:
    schema = f"u_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    db = Database(f"{base_url}{sep}options=-csearch_path%3D{schema}")
    try:
        Base.metadata.create_all(db.engine, tables=tables)
        yield db
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_store_db(postgres_base_url: str) -> Iterator[Database]:
    """One Postgres schema with every table of the store for the whole session."""
    yield from _postgres_schema(postgres_base_url, list(Base.metadata.sorted_tables))


def store_database(kind: str, request: pytest.FixtureRequest) -> Database:
    """An empty database with every table of the store (``sqlite`` or ``postgres``)."""
    if kind == "sqlite":
        db = Database("sqlite:///:memory:")
        Base.metadata.create_all(db.engine)
        request.addfinalizer(db.dispose)
        return db
    db = request.getfixturevalue("postgres_store_db")
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    return db


def sql_database(kind: str, request: pytest.FixtureRequest) -> Database:
    """An empty database with the guard's tables: ``sqlite`` (in memory) or ``postgres``."""
    if kind == "sqlite":
        db = Database("sqlite:///:memory:")
        Base.metadata.create_all(db.engine, tables=_tables())
        request.addfinalizer(db.dispose)
        return db
    db = request.getfixturevalue("postgres_guard_db")
    empty_guard_tables(db)
    return db


def empty_guard_tables(db: Database) -> None:
    """Delete every row of the guard's tables."""
    with db.engine.begin() as conn:
        for table in _tables():
            conn.execute(table.delete())


@dataclass(frozen=True)
class RedisSpace:
    """A Redis URL and a key prefix no other test uses."""

    url: str
    prefix: str


def redis_space(request: pytest.FixtureRequest) -> RedisSpace:
    """A fresh key prefix on the test Redis; its keys are deleted after the test."""
    import redis

    url = str(request.getfixturevalue("redis_url"))
    prefix = f"test:{uuid.uuid4().hex[:10]}:"
    client = redis.Redis.from_url(url)

    def clean() -> None:
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)
        client.close()

    request.addfinalizer(clean)
    return RedisSpace(url, prefix)
