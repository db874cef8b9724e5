"""The token bucket on every backend: it grants its burst, refuses beyond its rate,
refills with time, and a 429 silences every process sharing it."""

from __future__ import annotations

import pytest

from harvester.clock import FakeClock
from harvester.guard import BudgetExhausted, TokenBucket
from harvester.guard.bucket import BucketBackend, RedisBucket, SqlBucket
from tests.unit.store.backends import ALL_BACKENDS, redis_space, sql_database

PER_MINUTE, BURST = 60, 3  # one token a second, three saved at most


@pytest.fixture(params=ALL_BACKENDS)
def backend(request: pytest.FixtureRequest) -> BucketBackend:
    if request.param == "redis":
        space = redis_space(request)
        return RedisBucket(space.url, prefix=space.prefix + "bucket:")
    return SqlBucket(sql_database(request.param, request))


def _bucket(backend: BucketBackend, clock: FakeClock, burst: int | None = BURST) -> TokenBucket:
    return TokenBucket(backend, PER_MINUTE, burst, clock=clock.time, sleep=clock.sleep)


@pytest.fixture
def bucket(backend: BucketBackend, clock: FakeClock) -> TokenBucket:
    return _bucket(backend, clock)


async def _granted_now(bucket: TokenBucket, name: str = "tiktok") -> int:
    """How many tokens are granted without waiting."""
    n = 0
    while True:
        try:
            await bucket.acquire(name, timeout=0)
        except BudgetExhausted:
            return n
        n += 1
        assert n <= 100, "the bucket never refused"


async def test_it_grants_its_burst_then_refuses(bucket: TokenBucket) -> None:
    assert await _granted_now(bucket) == BURST
    with pytest.raises(BudgetExhausted) as refused:
        await bucket.acquire("tiktok", timeout=0.5)
    assert refused.value.retry_after == pytest.approx(1.0)


async def test_without_a_burst_one_call_goes_at_once(
    backend: BucketBackend, clock: FakeClock
) -> None:
    assert await _granted_now(_bucket(backend, clock, burst=None)) == 1


async def test_it_refills_with_time_up_to_its_burst(bucket: TokenBucket, clock: FakeClock) -> None:
    await _granted_now(bucket)
    clock.advance(1)
    assert await _granted_now(bucket) == 1
    clock.advance(2.5)
    assert bucket.peek("tiktok") == pytest.approx(2.5)
    clock.advance(3600)
    assert bucket.peek("tiktok") == pytest.approx(BURST)
    assert await _granted_now(bucket) == BURST


async def test_acquire_waits_for_the_next_token(bucket: TokenBucket, clock: FakeClock) -> None:
    await _granted_now(bucket)
    before = clock.time()
    await bucket.acquire("tiktok", timeout=30)
    assert clock.time() - before == pytest.approx(1.0)


async def test_a_window_sees_no_more_than_its_rate_plus_the_burst(
    bucket: TokenBucket, clock: FakeClock
) -> None:
    start, calls = clock.time(), 0
    while clock.time() < start + 10:
        await bucket.acquire("tiktok", timeout=30)
        calls += 1
        assert calls <= 100, "the bucket never made a call wait"
    # Calls in [start, start + 10 s]: the burst, then one a second (the last at +10 s).
    assert clock.time() == pytest.approx(start + 10)
    assert calls == BURST + 10 * PER_MINUTE // 60


async def test_a_drain_silences_it_for_the_seconds_asked(
    bucket: TokenBucket, clock: FakeClock
) -> None:
    bucket.drain("tiktok", 5)  # a 429 said: come back in 5 s
    assert bucket.peek("tiktok") == pytest.approx(-5)
    clock.advance(5.5)
    assert await _granted_now(bucket) == 0
    clock.advance(0.5)
    assert await _granted_now(bucket) == 1


async def test_processes_share_one_bucket(backend: BucketBackend, clock: FakeClock) -> None:
    one, other = _bucket(backend, clock), _bucket(backend, clock)
    assert await _granted_now(one) + await _granted_now(other) == BURST
    clock.advance(1)
    assert await _granted_now(other) == 1
    assert await _granted_now(one) == 0


async def test_buckets_are_separate_by_name(bucket: TokenBucket) -> None:
    assert await _granted_now(bucket, "a") == BURST
    assert await _granted_now(bucket, "b") == BURST
