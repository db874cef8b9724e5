"""The guard's rows (store/guard_state.py) on SQLite and Postgres: what is stored is
what is read back, writes that say they are idempotent are, counts never pass a limit."""

from __future__ import annotations

import pytest

from harvester.store import Database
from harvester.store.guard_state import (
    BreakerPhase,
    BreakerRecord,
    BucketRecord,
    GuardState,
    KillSwitchRecord,
    QuotaKey,
    QuotaRecord,
)
from tests.unit.store.backends import SQL_BACKENDS, sql_database

KEY = QuotaKey("client", "research", "2030-03-14")


@pytest.fixture(params=SQL_BACKENDS)
def db(request: pytest.FixtureRequest) -> Database:
    return sql_database(request.param, request)


@pytest.fixture
def state(db: Database) -> GuardState:
    return GuardState(db)


# -- breakers -------------------------------------------------------------------------


def test_a_breaker_never_saved_is_unknown(state: GuardState) -> None:
    assert state.load_breaker("ep") is None
    assert state.breaker_names() == []


def test_a_breaker_reads_back_as_saved(state: GuardState) -> None:
    rec = BreakerRecord("ep", BreakerPhase.OPEN, failures=5, opened_at=1_000.5)
    state.save_breaker(rec, now=1_001.0)
    assert state.load_breaker("ep") == rec


def test_saving_a_breaker_twice_keeps_one_row_with_the_last_state(state: GuardState) -> None:
    state.save_breaker(BreakerRecord("b", BreakerPhase.OPEN, 3, 10.0), now=10.0)
    state.save_breaker(BreakerRecord("b", BreakerPhase.OPEN, 3, 10.0), now=11.0)
    state.save_breaker(BreakerRecord("a"), now=12.0)
    state.save_breaker(BreakerRecord("b", BreakerPhase.HALF_OPEN, 3, 10.0), now=13.0)
    assert state.breaker_names() == ["a", "b"]
    assert state.load_breaker("b") == BreakerRecord("b", BreakerPhase.HALF_OPEN, 3, 10.0)
    assert state.load_breaker("a") == BreakerRecord("a", BreakerPhase.CLOSED, 0, None)


# -- buckets --------------------------------------------------------------------------


def test_a_bucket_starts_from_its_seed_and_keeps_what_the_change_writes(
    state: GuardState,
) -> None:
    seen: list[BucketRecord] = []

    def take_one(row: BucketRecord) -> tuple[BucketRecord | None, str]:
        seen.append(row)
        return BucketRecord(row.name, row.tokens - 1, row.updated_at + 1), "took"

    assert state.update_bucket(BucketRecord("t", 5.0, 100.0), take_one) == "took"
    # The seed only counts for a bucket with no row: the second read sees the write.
    assert state.update_bucket(BucketRecord("t", 5.0, 500.0), take_one) == "took"
    assert seen == [BucketRecord("t", 5.0, 100.0), BucketRecord("t", 4.0, 101.0)]
    assert state.load_bucket("t") == BucketRecord("t", 3.0, 102.0)


def test_a_bucket_change_that_writes_nothing_leaves_the_row(state: GuardState) -> None:
    state.update_bucket(BucketRecord("t", 2.0, 100.0), lambda row: (None, row.tokens))
    assert state.load_bucket("t") == BucketRecord("t", 2.0, 100.0)  # seeded, not changed
    assert state.update_bucket(BucketRecord("t", 9.0, 900.0), lambda row: (None, row)) == (
        BucketRecord("t", 2.0, 100.0)
    )
    assert state.load_bucket("other") is None


def test_a_failing_bucket_change_writes_nothing(state: GuardState) -> None:
    state.update_bucket(BucketRecord("t", 2.0, 100.0), lambda row: (None, None))

    def boom(row: BucketRecord) -> tuple[BucketRecord | None, None]:
        raise RuntimeError("decided nothing")

    with pytest.raises(RuntimeError):
        state.update_bucket(BucketRecord("t", 2.0, 100.0), boom)
    assert state.load_bucket("t") == BucketRecord("t", 2.0, 100.0)


# -- the quota ledger -----------------------------------------------------------------


def test_nothing_is_counted_on_a_day_never_seeded(state: GuardState) -> None:
    assert state.count_request(KEY, (10, 10), now=1.0) == (False, None)
    assert state.count_records(KEY, 5, now=1.0) is None
    assert state.quota_usage(KEY) is None
    assert state.quota_rows() == []


def test_seeding_twice_keeps_what_was_spent(state: GuardState) -> None:
    state.seed_quota(KEY, now=1.0)
    assert state.quota_usage(KEY) == QuotaRecord(KEY, 0, 0)
    state.count_request(KEY, (10, 100), now=2.0)
    state.count_records(KEY, 7, now=2.0)
    state.seed_quota(KEY, now=3.0)
    assert state.quota_usage(KEY) == QuotaRecord(KEY, 1, 7)
    assert state.quota_rows() == [QuotaRecord(KEY, 1, 7)]


def test_requests_are_counted_up_to_the_limit_and_no_further(state: GuardState) -> None:
    state.seed_quota(KEY, now=1.0)
    answers = [state.count_request(KEY, (3, 100), now=2.0) for _ in range(5)]
    assert [granted for granted, _ in answers] == [True, True, True, False, False]
    assert [row.requests for _, row in answers if row] == [1, 2, 3, 3, 3]
    assert state.quota_usage(KEY) == QuotaRecord(KEY, 3, 0)


def test_no_request_is_counted_once_the_records_are_spent(state: GuardState) -> None:
    state.seed_quota(KEY, now=1.0)
    # Records are counted when received: never refused, even past the limit.
    assert state.count_records(KEY, 60, now=2.0) == QuotaRecord(KEY, 0, 60)
    assert state.count_records(KEY, 60, now=2.0) == QuotaRecord(KEY, 0, 120)
    assert state.count_request(KEY, (10, 100), now=3.0) == (False, QuotaRecord(KEY, 0, 120))


def test_each_day_client_and_api_is_its_own_row(state: GuardState) -> None:
    keys = [
        KEY,
        QuotaKey("client", "research", "2030-03-15"),
        QuotaKey("client", "commercial", "2030-03-14"),
        QuotaKey("other", "research", "2030-03-14"),
    ]
    for i, key in enumerate(keys):
        state.seed_quota(key, now=1.0)
        for _ in range(i + 1):
            state.count_request(key, (10, 100), now=1.0)
    assert [(r.key, r.requests) for r in state.quota_rows()] == [
        (keys[2], 3),
        (keys[0], 1),
        (keys[3], 4),
        (keys[1], 2),
    ]
    assert [r.key for r in state.quota_rows(day="2030-03-15")] == [keys[1]]


# -- the kill switch ------------------------------------------------------------------


def test_the_kill_switch_is_off_until_set(state: GuardState) -> None:
    assert state.load_kill_switch() == KillSwitchRecord(False, "", "", None)


def test_the_kill_switch_reads_back_as_last_saved(state: GuardState) -> None:
    on = KillSwitchRecord(True, "TikTok asked us to stop", "ops", "2030-03-14T10:00:00+00:00")
    state.save_kill_switch(on)
    state.save_kill_switch(on)
    assert state.load_kill_switch() == on
    off = KillSwitchRecord(False, "", "ops", "2030-03-14T11:00:00+00:00")
    state.save_kill_switch(off)
    assert state.load_kill_switch() == off
    assert off.as_dict() == {"on": False, "reason": "", "by": "ops", "at": off.at}
