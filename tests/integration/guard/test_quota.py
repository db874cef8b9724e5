"""The daily quota ledger: shared by processes, atomic, persistent, reset at 00:00 UTC."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from harvester.clock import SystemClock
from harvester.guard import DailyQuotaSpent, Guard
from harvester.guard.quota import QuotaLedger, RedisLedger, SqlLedger, make_ledger
from harvester.store import Database, upgrade
from tests.one_day import BEFORE_MIDNIGHT, NEXT_MIDNIGHT

WORKER = Path(__file__).with_name("quota_worker.py")
LIMIT = 150
pytestmark = pytest.mark.timedep


class Clock:
    """The ledger's clock, a minute before midnight UTC of the suite's day (a day Redis
    may have passed long ago, or not reached yet: its expiry must hold either way)."""

    def __init__(self, t: float = BEFORE_MIDNIGHT.timestamp()) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _two_processes(kind: str, url: str) -> tuple[list[int], str]:
    key = f"k-{uuid.uuid4().hex[:8]}"
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), kind, url, key, str(LIMIT)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    counts = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        counts.append(int(out))
    return counts, key


def _assert_spent_exactly(kind: str, url: str) -> None:
    counts, key = _two_processes(kind, url)
    assert sum(counts) == LIMIT, counts  # never overspent, nothing lost
    backend = RedisLedger(url) if kind == "redis" else SqlLedger(Database(url))
    # The workers install no clock: they spent on the system clock's day, so that is
    # the day to read, whatever clock this process runs on (a module-scoped one_day()
    # once left it on the suite's day, and the check read another day's zero).
    ledger = QuotaLedger(backend, key, LIMIT, clock=SystemClock().time)
    assert ledger.status("research").used_requests == LIMIT


def test_two_processes_never_overspend_on_sqlite(sqlite_url: str) -> None:
    upgrade(Database(sqlite_url))
    _assert_spent_exactly("sql", sqlite_url)


def test_two_processes_never_overspend_on_postgres(postgres_url: str) -> None:
    upgrade(Database(postgres_url))
    _assert_spent_exactly("sql", postgres_url)


def test_two_processes_never_overspend_on_redis(redis_url: str) -> None:
    _assert_spent_exactly("redis", redis_url)


@pytest.fixture(params=["sql", "redis"])
def ledger_factory(request: pytest.FixtureRequest) -> object:
    """Builds ledgers on one shared store, as separate processes (or restarts) would."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        prefix = f"test:{uuid.uuid4().hex[:8]}:quota:"
        return lambda **kw: QuotaLedger(RedisLedger(url, prefix=prefix), "key", **kw)
    db = Database(request.getfixturevalue("sqlite_url"))
    upgrade(db)
    return lambda **kw: QuotaLedger(SqlLedger(db), "key", **kw)


async def test_spent_quota_refuses_until_midnight_utc_and_survives_restart(
    ledger_factory: object,
) -> None:
    clock = Clock()
    ledger = ledger_factory(requests_per_day=3, clock=clock)  # type: ignore[operator]
    for _ in range(3):
        await ledger.spend_request("research")
    await ledger.spend_request("commercial")  # each API has its own budget
    restarted = ledger_factory(requests_per_day=3, clock=clock)  # type: ignore[operator]
    with pytest.raises(DailyQuotaSpent) as err:
        await restarted.spend_request("research")
    assert err.value.reset_at == NEXT_MIDNIGHT
    assert err.value.retry_after == pytest.approx(60)
    assert "resets at 00:00 UTC" in str(err.value)
    st = restarted.status("research")
    assert (st.used_requests, st.left_requests, st.resets_at) == (3, 0, NEXT_MIDNIGHT)
    clock.t += 61  # 00:00:01 UTC: a new day, a fresh budget
    await restarted.spend_request("research")
    assert restarted.status("research").used_requests == 1


async def test_records_limit_stops_requests(ledger_factory: object) -> None:
    ledger = ledger_factory(requests_per_day=100, records_per_day=250, clock=Clock())  # type: ignore[operator]
    await ledger.spend_request("research")
    await ledger.spend_records("research", 260)  # received: counted, never refused
    with pytest.raises(DailyQuotaSpent, match="250 records"):
        await ledger.spend_request("research")
    st = ledger.status("research")
    assert (st.used_records, st.left_records, st.spent) == (260, 0, True)


async def test_unknown_api_is_refused(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    upgrade(db)
    with pytest.raises(ValueError, match="unknown API"):
        await make_ledger(db, None, "k").spend_request("ads")


async def test_guard_snapshot_shows_the_quota(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    upgrade(db)
    guard = Guard(db=db, redis_url=None, rate_per_minute=60, quota=make_ledger(db, None, "k", 10))
    await guard.quota.spend_request("research")
    snap = await guard.snapshot()
    assert snap["quota"]["research"]["used_requests"] == 1
    assert snap["quota"]["research"]["left_requests"] == 9
    assert snap["quota"]["commercial"]["used_requests"] == 0


async def test_a_spent_quota_neither_drains_the_bucket_nor_trips_the_breaker(
    sqlite_url: str,
) -> None:
    db = Database(sqlite_url)
    upgrade(db)
    guard = Guard(db=db, redis_url=None, rate_per_minute=6000, quota=make_ledger(db, None, "k", 1))
    async with guard.call("comment/list"):
        await guard.quota.spend_request("research")
    for _ in range(6):  # more than the breaker's threshold
        with pytest.raises(DailyQuotaSpent):
            async with guard.call("comment/list"):
                await guard.quota.spend_request("research")
    assert guard.bucket.peek("tiktok") > -1  # a 429 would have drained it for a minute
    assert (await guard.snapshot())["breakers"] == {"comment/list": "closed"}


async def test_a_ledger_row_deleted_under_a_running_process_is_seeded_again(
    sqlite_url: str,
) -> None:
    import sqlalchemy as sa

    from harvester.store.models import QuotaUsage

    db = Database(sqlite_url)
    upgrade(db)
    ledger = make_ledger(db, None, "k", 5)
    await ledger.spend_request("research")
    with db.session() as s:
        s.execute(sa.delete(QuotaUsage))
    await ledger.spend_request("research")  # not refused: the row is back
    assert ledger.status("research").used_requests == 1
