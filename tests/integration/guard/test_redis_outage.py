"""The guard while Redis is unreachable: calls go on through the database bucket at
half the rate (never over the TikTok budget), the outage is visible and alerted, and
the guard returns to Redis when it answers again."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from harvester.guard import Guard
from harvester.guard.breaker import RedisStateStore
from harvester.guard.bucket import RedisBucket
from harvester.guard.failover import FALLBACK_SHARE, PROBE_EVERY_S, FailoverBucket, FailoverStore
from harvester.jobs.functions.health import check_and_record
from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.store import Database, upgrade
from harvester.store.models import Alert
from tests.free_port import free_port

RATE = 60  # per minute


class FakeTime:
    """A clock the bucket's waits move forward: a simulated minute takes no time."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _down_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


def _calls_in(guard: Guard, clock: FakeTime, seconds: float) -> int:
    import asyncio

    async def run() -> int:
        n, end = 0, clock.now + seconds
        while clock.now < end:
            async with guard.call("comments"):
                n += 1
        return n

    return asyncio.run(run())


def test_with_redis_down_calls_go_on_below_the_budget(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    upgrade(db)
    clock = FakeTime()
    guard = Guard(db, _down_url(), rate_per_minute=RATE, clock=clock, sleep=clock.sleep)
    n = _calls_in(guard, clock, 60.0)
    # Never over the budget: at most the fallback share of a minute's rate (+1 to start).
    assert 0 < n <= RATE * FALLBACK_SHARE + 1, n
    assert guard.outage is not None and guard.outage.since is not None
    db.dispose()


async def test_the_outage_shows_in_the_snapshot_and_raises_one_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", _down_url())
    runtime = build_runtime(Settings(data_dir=tmp_path))
    async with runtime.guard.call("comments"):
        pass  # served from the database bucket
    snap = await runtime.guard.snapshot()
    assert snap["degraded"] and "redis unreachable" in snap["degraded"]["reason"]
    result = await check_and_record(runtime.deps)
    assert any("guard degraded" in p for p in result["problems"])
    await check_and_record(runtime.deps)  # the next check does not alert twice
    with runtime.db.session() as s:
        keys = s.execute(sa.select(Alert.key)).scalars().all()
    assert keys.count("guard:redis-down") == 1
    await runtime.aclose()


@pytest.mark.redis
def test_the_guard_returns_to_redis_when_it_answers(sqlite_url: str, redis_url: str) -> None:
    db = Database(sqlite_url)
    upgrade(db)
    clock = FakeTime()
    guard = Guard(db, _down_url(), rate_per_minute=RATE, clock=clock, sleep=clock.sleep)
    _calls_in(guard, clock, 5.0)
    assert guard.outage is not None and guard.outage.since is not None  # on the database
    backend, store = guard.bucket.backend, guard.breaker.store
    assert isinstance(backend, FailoverBucket) and isinstance(store, FailoverStore)
    # Redis answers again (simulated: the shared Redis of other tests is not restarted).
    live = RedisBucket(redis_url, prefix=f"test:{free_port()}:")
    backend._redis = live
    store._redis = RedisStateStore(redis_url, prefix=f"test:{free_port()}:breaker:")
    clock.now += PROBE_EVERY_S
    n = _calls_in(guard, clock, 60.0)
    assert guard.outage.since is None  # back on Redis, the full rate again
    assert RATE * FALLBACK_SHARE + 1 < n <= RATE + 1, n
    assert redis.Redis.from_url(redis_url).exists(f"{live._prefix}tiktok")
    db.dispose()
