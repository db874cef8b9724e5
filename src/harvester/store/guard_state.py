"""The guard's state in SQL, behind one typed face: the circuit breakers, the token
buckets, the daily quota ledger and the kill switch.

The guard (``harvester.guard``) decides; this module only reads and writes, with typed
records in and out, so the guard never builds a query nor sees a model (an
import-linter contract). Every write is atomic on SQLite and Postgres alike."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from harvester.store.db import Database
from harvester.store.kv import get_setting, put_setting
from harvester.store.models import BreakerState, QuotaUsage, RateBucket
from harvester.store.upsert import insert_for

T = TypeVar("T")
KILL_SWITCH_KEY = "kill_switch"


class BreakerPhase(enum.StrEnum):
    """Where a circuit breaker stands."""

    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"


@dataclass(frozen=True)
class BreakerRecord:
    """One endpoint's breaker: its phase, consecutive failures, when it opened (unix s)."""

    name: str
    phase: BreakerPhase = BreakerPhase.CLOSED
    failures: int = 0
    opened_at: float | None = None


@dataclass(frozen=True)
class BucketRecord:
    """One token bucket: tokens left as of ``updated_at`` (unix s)."""

    name: str
    tokens: float
    updated_at: float


@dataclass(frozen=True)
class QuotaKey:
    """Whose quota, of which API, on which UTC day (``YYYY-MM-DD``)."""

    client_key: str
    api: str
    day: str


@dataclass(frozen=True)
class QuotaRecord:
    """What one client key spent on one API on one UTC day."""

    key: QuotaKey
    requests: int
    records: int


@dataclass(frozen=True)
class KillSwitchRecord:
    """The kill switch as an operator last set it (off when never set)."""

    on: bool = False
    reason: str = ""
    by: str = ""
    at: str | None = None  # ISO 8601, UTC

    def as_dict(self) -> dict[str, Any]:
        return {"on": self.on, "reason": self.reason, "by": self.by, "at": self.at}


class GuardState:
    """The guard's rows in one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- circuit breakers -------------------------------------------------------------

    def load_breaker(self, name: str) -> BreakerRecord | None:
        """The stored breaker of ``name``, or None when none was ever saved."""
        with self._db.session() as s:
            row = s.get(BreakerState, name)
            if row is None:
                return None
            return BreakerRecord(name, BreakerPhase(row.state), row.failures, row.opened_at)

    def save_breaker(self, record: BreakerRecord, now: float) -> None:
        """Insert or replace the breaker's row (idempotent)."""
        values = {
            "state": str(record.phase),
            "failures": record.failures,
            "opened_at": record.opened_at,
            "updated_at": now,
        }
        with self._db.session() as s:
            stmt = insert_for(s, BreakerState.__table__).values(name=record.name, **values)
            s.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))

    def breaker_names(self) -> list[str]:
        """Every endpoint with a stored breaker, in name order."""
        with self._db.session() as s:
            return list(s.scalars(sa.select(BreakerState.name).order_by(BreakerState.name)))

    # -- token buckets ----------------------------------------------------------------

    def update_bucket(
        self, seed: BucketRecord, change: Callable[[BucketRecord], tuple[BucketRecord | None, T]]
    ) -> T:
        """Read the bucket (``seed`` when it has no row yet) with its row locked, and
        write the record ``change`` returns (nothing when None), in one transaction: a
        read-modify-write no other process interleaves. Returns ``change``'s verdict.

        The transaction first makes sure the row exists (insert or nothing), then locks
        it with an UPDATE — the row lock on Postgres, the database write lock on SQLite."""
        with self._db.session() as s:
            insert = insert_for(s, RateBucket.__table__).values(
                name=seed.name, tokens=seed.tokens, updated_at=seed.updated_at
            )
            s.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
            s.execute(
                sa.update(RateBucket)
                .where(RateBucket.name == seed.name)
                .values(name=RateBucket.name)
            )
            row = s.get(RateBucket, seed.name, populate_existing=True)
            assert row is not None  # inserted above
            new, verdict = change(BucketRecord(seed.name, row.tokens, row.updated_at))
            if new is not None:
                row.tokens, row.updated_at = new.tokens, new.updated_at
            return verdict

    def load_bucket(self, name: str) -> BucketRecord | None:
        """The bucket's stored row, or None when it has none."""
        with self._db.session() as s:
            row = s.get(RateBucket, name)
            return None if row is None else BucketRecord(name, row.tokens, row.updated_at)

    # -- the daily quota ledger -------------------------------------------------------

    def seed_quota(self, key: QuotaKey, now: float) -> None:
        """Make sure the day's row exists, at zero when new (idempotent)."""
        with self._db.session() as s:
            seed = insert_for(s, QuotaUsage.__table__).values(
                client_key=key.client_key,
                api=key.api,
                day=key.day,
                requests=0,
                records=0,
                updated_at=now,
            )
            s.execute(seed.on_conflict_do_nothing())

    def count_request(
        self, key: QuotaKey, limits: tuple[int, int], now: float
    ) -> tuple[bool, QuotaRecord | None]:
        """Count one request if both counts are under ``limits`` (requests, records):
        one conditional ``UPDATE … RETURNING``, so two processes never overspend.
        Returns whether it was counted and the row after (None: no row, seed first)."""
        stmt = (
            sa.update(QuotaUsage)
            .where(*_row_of(key), QuotaUsage.requests < limits[0], QuotaUsage.records < limits[1])
            .values(requests=QuotaUsage.requests + 1, updated_at=now)
        )
        return self._spend(key, stmt)

    def count_records(self, key: QuotaKey, n: int, now: float) -> QuotaRecord | None:
        """Add ``n`` received records (never refused); None when the row is missing."""
        stmt = (
            sa.update(QuotaUsage)
            .where(*_row_of(key))
            .values(records=QuotaUsage.records + n, updated_at=now)
        )
        return self._spend(key, stmt)[1]

    def _spend(self, key: QuotaKey, stmt: Any) -> tuple[bool, QuotaRecord | None]:
        cols = (QuotaUsage.requests, QuotaUsage.records)
        with self._db.session() as s:
            row = s.execute(stmt.returning(*cols)).first()
            granted = row is not None
            if row is None:
                row = s.execute(sa.select(*cols).where(*_row_of(key))).first()
        return granted, None if row is None else QuotaRecord(key, int(row[0]), int(row[1]))

    def quota_usage(self, key: QuotaKey) -> QuotaRecord | None:
        """The day's row of ``key``, or None when nothing was spent (or seeded)."""
        with self._db.session() as s:
            row = s.execute(
                sa.select(QuotaUsage.requests, QuotaUsage.records).where(*_row_of(key))
            ).first()
        return None if row is None else QuotaRecord(key, int(row[0]), int(row[1]))

    def quota_rows(self, day: str | None = None) -> list[QuotaRecord]:
        """The ledger's rows (of one UTC day when given), by day, client key and API."""
        q = sa.select(QuotaUsage).order_by(QuotaUsage.day, QuotaUsage.client_key, QuotaUsage.api)
        if day is not None:
            q = q.where(QuotaUsage.day == day)
        with self._db.session() as s:
            return [
                QuotaRecord(QuotaKey(r.client_key, r.api, r.day), r.requests, r.records)
                for r in s.scalars(q)
            ]

    # -- the kill switch --------------------------------------------------------------

    def load_kill_switch(self) -> KillSwitchRecord:
        """The kill switch as stored (off when it was never set)."""
        with self._db.session() as s:
            stored = get_setting(s, KILL_SWITCH_KEY)
        if stored is None:
            return KillSwitchRecord()
        return KillSwitchRecord(
            on=bool(stored.get("on")),
            reason=str(stored.get("reason") or ""),
            by=str(stored.get("by") or ""),
            at=stored.get("at"),
        )

    def save_kill_switch(self, record: KillSwitchRecord) -> None:
        """Store the kill switch for every process (idempotent)."""
        with self._db.session() as s:
            put_setting(s, KILL_SWITCH_KEY, record.as_dict())


def _row_of(key: QuotaKey) -> tuple[Any, ...]:
    return (
        QuotaUsage.client_key == key.client_key,
        QuotaUsage.api == key.api,
        QuotaUsage.day == key.day,
    )
