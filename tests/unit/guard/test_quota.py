"""The daily quota ledger on every backend: it refuses beyond the day's quota, says
when it resets, resets at the next 00:00 UTC, and every process spends the same day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harvester.clock import FakeClock
from harvester.guard import DailyQuotaSpent, QuotaLedger
from harvester.guard.quota import LedgerBackend, RedisLedger, SqlLedger
from tests.unit.guard.conftest import START
from tests.unit.store.backends import (
    ALL_BACKENDS,
    SQL_BACKENDS,
    empty_guard_tables,
    redis_space,
    sql_database,
)

REQUESTS, RECORDS = 3, 100
MIDNIGHT = datetime(2030, 3, 15, tzinfo=UTC)  # the one after START


@pytest.fixture(params=ALL_BACKENDS)
def backend(request: pytest.FixtureRequest) -> LedgerBackend:
    if request.param == "redis":
        space = redis_space(request)
        return RedisLedger(space.url, prefix=space.prefix + "quota:")
    return SqlLedger(sql_database(request.param, request))


def _ledger(backend: LedgerBackend, clock: FakeClock) -> QuotaLedger:
    return QuotaLedger(backend, "client", REQUESTS, RECORDS, clock=clock.time)


@pytest.fixture
def ledger(backend: LedgerBackend, clock: FakeClock) -> QuotaLedger:
    return _ledger(backend, clock)


async def _spend_all(ledger: QuotaLedger, api: str = "research") -> int:
    """Requests granted until the ledger refuses."""
    n = 0
    while True:
        try:
            await ledger.spend_request(api)
        except DailyQuotaSpent:
            return n
        n += 1
        assert n <= REQUESTS, "the ledger never refused"


async def test_it_refuses_beyond_the_daily_quota_until_midnight(ledger: QuotaLedger) -> None:
    assert await _spend_all(ledger) == REQUESTS
    with pytest.raises(DailyQuotaSpent) as refused:
        await ledger.spend_request("research")
    assert refused.value.reset_at == MIDNIGHT
    assert refused.value.retry_after == (MIDNIGHT - START).total_seconds()
    assert "resets at 00:00 UTC" in str(refused.value)
    status = ledger.status("research")
    assert (status.used_requests, status.left_requests, status.spent) == (REQUESTS, 0, True)


async def test_it_resets_at_the_next_utc_midnight(ledger: QuotaLedger, clock: FakeClock) -> None:
    await _spend_all(ledger)
    clock.set(MIDNIGHT - timedelta(seconds=1))
    with pytest.raises(DailyQuotaSpent):
        await ledger.spend_request("research")
    clock.advance(1)
    await ledger.spend_request("research")
    status = ledger.status("research")
    assert (status.used_requests, status.left_requests) == (1, REQUESTS - 1)
    assert status.resets_at == MIDNIGHT + timedelta(days=1)


async def test_records_spend_the_day_too(ledger: QuotaLedger) -> None:
    await ledger.spend_request("research")
    await ledger.spend_records("research", RECORDS)  # received: counted, never refused
    with pytest.raises(DailyQuotaSpent) as refused:
        await ledger.spend_request("research")
    assert f"{RECORDS:,} records" in str(refused.value)
    status = ledger.status("research")
    assert (status.used_requests, status.used_records, status.left_records) == (1, RECORDS, 0)


async def test_no_records_count_for_nothing(ledger: QuotaLedger) -> None:
    await ledger.spend_records("research", 0)
    assert ledger.status("research").used_records == 0


async def test_each_api_has_its_own_quota(ledger: QuotaLedger) -> None:
    await _spend_all(ledger, "research")
    assert await _spend_all(ledger, "commercial") == REQUESTS


async def test_processes_spend_one_quota_and_it_outlives_them(
    backend: LedgerBackend, clock: FakeClock
) -> None:
    one, other = _ledger(backend, clock), _ledger(backend, clock)
    await one.spend_request("research")
    await other.spend_request("research")
    assert await _spend_all(one) == REQUESTS - 2
    restarted = _ledger(backend, clock)
    assert restarted.status("research").used_requests == REQUESTS


async def test_client_keys_have_their_own_quota(backend: LedgerBackend, clock: FakeClock) -> None:
    await _spend_all(_ledger(backend, clock))
    other_key = QuotaLedger(backend, "other", REQUESTS, RECORDS, clock=clock.time)
    assert await _spend_all(other_key) == REQUESTS


async def test_status_of_an_untouched_day_is_the_whole_quota(ledger: QuotaLedger) -> None:
    status = ledger.status("commercial")
    assert status.as_dict() == {
        "used_requests": 0,
        "used_records": 0,
        "limit_requests": REQUESTS,
        "limit_records": RECORDS,
        "left_requests": REQUESTS,
        "left_records": RECORDS,
        "resets_at": MIDNIGHT.isoformat(),
    }


async def test_an_unknown_api_is_refused_with_the_known_ones(ledger: QuotaLedger) -> None:
    with pytest.raises(ValueError, match="research, commercial"):
        await ledger.spend_request("graph")


@pytest.mark.parametrize("kind", SQL_BACKENDS)
async def test_a_ledger_goes_on_when_its_rows_are_removed(
    kind: str, request: pytest.FixtureRequest, clock: FakeClock
) -> None:
    db = sql_database(kind, request)
    ledger = QuotaLedger(SqlLedger(db), "client", REQUESTS, RECORDS, clock=clock.time)
    await ledger.spend_request("research")
    empty_guard_tables(db)  # a reset database, under a process that remembers its seed
    await ledger.spend_request("research")
    assert ledger.status("research").used_requests == 1
