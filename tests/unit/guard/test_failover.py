"""While Redis is unreachable the breakers and the bucket live in the database (SQLite
or Postgres): calls go on at half the rate with no burst, and the outage is reported."""

from __future__ import annotations

import pytest

from harvester.clock import FakeClock
from harvester.guard import BudgetExhausted, CircuitBreaker, CircuitOpen, TokenBucket
from harvester.guard.breaker import RedisStateStore, SqlStateStore
from harvester.guard.bucket import RedisBucket, SqlBucket
from harvester.guard.failover import FailoverBucket, FailoverStore, RedisOutage
from harvester.store import Database
from tests.free_port import free_port
from tests.unit.store.backends import SQL_BACKENDS, sql_database


@pytest.fixture(params=SQL_BACKENDS)
def db(request: pytest.FixtureRequest) -> Database:
    return sql_database(request.param, request)


@pytest.fixture
def down_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


def test_the_breakers_fall_back_to_the_database(
    db: Database, clock: FakeClock, down_url: str
) -> None:
    outage = RedisOutage(clock.time)
    store = FailoverStore(RedisStateStore(down_url), SqlStateStore(db), outage)
    breaker = CircuitBreaker(store, threshold=2, clock=clock.time)
    for _ in range(2):
        breaker.allow("ep")
        breaker.failure("ep")
    with pytest.raises(CircuitOpen):
        breaker.allow("ep")
    state = outage.state()
    assert state is not None and state["reason"].startswith("redis unreachable")
    assert CircuitBreaker(SqlStateStore(db)).states() == {"ep": "open"}


async def test_the_bucket_falls_back_at_half_the_rate_and_no_burst(
    db: Database, clock: FakeClock, down_url: str
) -> None:
    backend = FailoverBucket(RedisBucket(down_url), SqlBucket(db), RedisOutage(clock.time))
    bucket = TokenBucket(backend, 60, capacity=5, clock=clock.time, sleep=clock.sleep)
    await bucket.acquire("tiktok", timeout=0)
    with pytest.raises(BudgetExhausted) as refused:
        await bucket.acquire("tiktok", timeout=0)
    assert refused.value.retry_after == pytest.approx(2.0)  # one a second, halved
    clock.advance(2)
    await bucket.acquire("tiktok", timeout=0)
