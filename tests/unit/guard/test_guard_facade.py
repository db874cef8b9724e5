"""What every TikTok call passes through, on the SQL backends: the kill switch first,
then the breaker, then the bucket; a 429 drains the bucket without counting as a
failure, and failures open the breaker. The kill switch reaches every process."""

from __future__ import annotations

import pytest

from harvester.clock import FakeClock, installed_as
from harvester.guard import CircuitOpen, DailyQuotaSpent, Guard, KillSwitch, KillSwitchOn
from harvester.store import Database
from tests.unit.guard.conftest import START
from tests.unit.store.backends import SQL_BACKENDS, sql_database


class SlowDown(Exception):
    """What a source raises on a 429: retry later, the endpoint is not failing."""

    retry_after = 5.0
    counts_as_failure = False


class Down(Exception):
    """What a source raises when the endpoint fails."""


@pytest.fixture(params=SQL_BACKENDS)
def db(request: pytest.FixtureRequest) -> Database:
    return sql_database(request.param, request)


@pytest.fixture
def guard(db: Database, clock: FakeClock) -> Guard:
    return Guard(db, None, rate_per_minute=60, burst=2, clock=clock.time, sleep=clock.sleep)


async def test_the_kill_switch_stops_calls_in_every_process(db: Database, guard: Guard) -> None:
    async with guard.call("ep"):
        pass
    await KillSwitch(db).turn_on("TikTok asked us to stop", "ops")  # another process
    guard.kill_switch = KillSwitch(db)  # past its one-second cache
    with pytest.raises(KillSwitchOn):
        async with guard.call("ep"):
            raise AssertionError("a call went through the kill switch")
    await guard.kill_switch.turn_off("ops")
    async with guard.call("ep"):
        pass


async def test_a_429_drains_the_bucket_but_is_no_failure(guard: Guard, clock: FakeClock) -> None:
    async with guard.call("ep"):
        pass
    with pytest.raises(SlowDown):
        async with guard.call("ep"):
            raise SlowDown
    assert guard.bucket.peek("tiktok") < 0
    snapshot = await guard.snapshot()
    assert snapshot["breakers"] == {"ep": "closed"}
    assert snapshot["bucket"]["tokens"] == pytest.approx(-5, abs=0.01)
    before = clock.time()
    async with guard.call("ep"):  # waits (on the clock) for the drain to pass
        pass
    assert clock.time() - before == pytest.approx(6.0)


async def test_failures_open_the_breaker(guard: Guard) -> None:
    for _ in range(guard.breaker.threshold):
        with pytest.raises(Down):
            async with guard.call("ep"):
                raise Down
    with pytest.raises(CircuitOpen):
        async with guard.call("ep"):
            raise AssertionError("a call went through an open circuit")


async def test_a_spent_quota_is_no_failure(guard: Guard) -> None:
    for _ in range(guard.breaker.threshold):
        with pytest.raises(DailyQuotaSpent):
            async with guard.call("ep"):
                raise DailyQuotaSpent("spent", START)
    async with guard.call("ep"):
        pass
    assert guard.breaker.states() == {"ep": "closed"}


async def test_the_kill_switch_is_read_again_after_a_second(db: Database) -> None:
    with installed_as(FakeClock(START)) as clock:
        here, there = KillSwitch(db), KillSwitch(db)
        assert await there.is_on() is False
        await here.turn_on("incident", "ops")
        assert await there.is_on() is False  # cached for a second
        assert isinstance(clock, FakeClock)
        clock.advance(1)
        assert await there.is_on() is True
        assert await there.state() == {
            "on": True,
            "reason": "incident",
            "by": "ops",
            "at": START.isoformat(),
        }


async def test_the_kill_switch_is_off_until_turned_on(db: Database) -> None:
    assert await KillSwitch(db).state() == {"on": False, "reason": "", "by": "", "at": None}
