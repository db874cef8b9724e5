"""The circuit breaker on every backend: it opens after N consecutive failures, lets
one probe through after its cool-down, and every process sees the same state."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import REGISTRY

from harvester.clock import FakeClock
from harvester.guard import CircuitBreaker, CircuitOpen
from harvester.guard.breaker import RedisStateStore, SqlStateStore, StateStore
from tests.unit.store.backends import ALL_BACKENDS, redis_space, sql_database

THRESHOLD, COOLDOWN = 3, 30.0


@pytest.fixture(params=ALL_BACKENDS)
def store(request: pytest.FixtureRequest) -> StateStore:
    if request.param == "redis":
        space = redis_space(request)
        return RedisStateStore(space.url, prefix=space.prefix + "breaker:")
    return SqlStateStore(sql_database(request.param, request))


@pytest.fixture
def breaker(store: StateStore, clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(store, threshold=THRESHOLD, cooldown=COOLDOWN, clock=clock.time)


def _fail(breaker: CircuitBreaker, name: str, times: int) -> None:
    for _ in range(times):
        breaker.allow(name)
        breaker.failure(name)


def test_it_opens_after_threshold_failures(breaker: CircuitBreaker) -> None:
    _fail(breaker, "ep", THRESHOLD - 1)
    breaker.allow("ep")  # still closed
    assert breaker.states() == {"ep": "closed"}
    breaker.failure("ep")
    with pytest.raises(CircuitOpen) as refused:
        breaker.allow("ep")
    assert refused.value.retry_after == COOLDOWN
    assert breaker.states() == {"ep": "open"}


def test_only_consecutive_failures_count(breaker: CircuitBreaker) -> None:
    _fail(breaker, "ep", THRESHOLD - 1)
    breaker.success("ep")
    _fail(breaker, "ep", THRESHOLD - 1)
    breaker.allow("ep")
    assert breaker.states() == {"ep": "closed"}


def test_it_half_opens_after_the_cooldown_and_closes_on_success(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    _fail(breaker, "ep", THRESHOLD)
    clock.advance(COOLDOWN - 1)
    with pytest.raises(CircuitOpen) as refused:
        breaker.allow("ep")
    assert refused.value.retry_after == pytest.approx(1.0)
    clock.advance(1)
    breaker.allow("ep")  # the probe
    assert breaker.states() == {"ep": "half_open"}
    breaker.success("ep")
    assert breaker.states() == {"ep": "closed"}
    _fail(breaker, "ep", THRESHOLD - 1)  # the count started again from zero
    breaker.allow("ep")


def test_a_failed_probe_opens_it_for_a_whole_cooldown(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    _fail(breaker, "ep", THRESHOLD)
    clock.advance(COOLDOWN)
    breaker.allow("ep")
    breaker.failure("ep")
    with pytest.raises(CircuitOpen) as refused:
        breaker.allow("ep")
    assert refused.value.retry_after == COOLDOWN


def test_every_process_sees_the_same_breaker(store: StateStore, clock: FakeClock) -> None:
    one, other = (
        CircuitBreaker(store, threshold=THRESHOLD, cooldown=COOLDOWN, clock=clock.time)
        for _ in range(2)
    )
    for b in (one, other, one):
        b.allow("ep")
        b.failure("ep")
    with pytest.raises(CircuitOpen):
        other.allow("ep")
    clock.advance(COOLDOWN)
    one.allow("ep")
    assert other.states() == {"ep": "half_open"}
    other.success("ep")
    one.allow("ep")
    assert one.states() == {"ep": "closed"}


def test_endpoints_have_their_own_breakers(breaker: CircuitBreaker) -> None:
    breaker.success("comments")
    _fail(breaker, "videos", THRESHOLD)
    breaker.allow("comments")
    with pytest.raises(CircuitOpen):
        breaker.allow("videos")
    assert breaker.states() == {"comments": "closed", "videos": "open"}


def test_a_breaker_never_called_is_not_listed(breaker: CircuitBreaker) -> None:
    breaker.allow("ep")  # allowing reads; only an outcome makes it known
    assert breaker.states() == {}
    breaker.success("ep")
    assert breaker.states() == {"ep": "closed"}


def test_the_state_gauge_follows_the_breaker(breaker: CircuitBreaker, clock: FakeClock) -> None:
    name = f"ep-{uuid.uuid4().hex[:8]}"  # the metrics registry outlives the test

    def gauge() -> float | None:
        return REGISTRY.get_sample_value("harvester_breaker_state", {"endpoint": name})

    breaker.success(name)
    assert gauge() == 0
    _fail(breaker, name, THRESHOLD)
    assert gauge() == 2
    clock.advance(COOLDOWN)
    breaker.allow(name)
    assert gauge() == 1
