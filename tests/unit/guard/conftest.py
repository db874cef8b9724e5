"""The guard's unit suite: each test runs once per backend (SQLite in memory, Postgres,
Redis where the part has one) on a FakeClock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from harvester.clock import FakeClock
from tests.unit.store.backends import postgres_guard_db

__all__ = ["postgres_guard_db"]

# A fixed moment (noon UTC): no test depends on today's date, the hour or the zone.
START = datetime(2030, 3, 14, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)
