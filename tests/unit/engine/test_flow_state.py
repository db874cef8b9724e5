"""Each flow-control feature's state (engine/flow_state.py) against a real system
database, SQLite and Postgres (where reachable): what a feature writes it reads back,
under the keys and JSON an existing database already holds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harvester.engine.flow_state import (
    Batch,
    BatchBuffers,
    CancellationJob,
    CancellationJobs,
    CronSchedule,
    CronTick,
    Debounced,
    Debounces,
    IdempotencyMarks,
    RateCells,
    Singletons,
)
from harvester.engine.sysdb import SystemDatabase

NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC: on a ten-minute boundary
EV = {"name": "a/b", "data": {"n": 1}, "id": "e1", "ts": 0}


@pytest.fixture
def db(database_url: str) -> Iterator[SystemDatabase]:
    sysdb = SystemDatabase(database_url)
    yield sysdb
    sysdb.dispose()


def _ev(n: int) -> dict[str, Any]:
    return {**EV, "data": {"n": n}, "id": f"e{n}"}


# -- cron ----------------------------------------------------------------------------------
def test_a_cron_is_seeded_once_and_a_sync_again_keeps_its_tick(db: SystemDatabase) -> None:
    crons = CronSchedule(db)
    with db.tx() as conn:
        assert crons.seed(conn, "f", "*/10 * * * *", NOW)
        assert not crons.seed(conn, "f", "*/10 * * * *", NOW + 3600)
        assert crons.seed(conn, "g", "0 0 * * *", NOW)
    with db.tx() as conn:
        ticks = sorted(crons.ticks(conn), key=lambda t: t.fn_id)
    assert ticks == [
        CronTick("f", "*/10 * * * *", NOW + 600),  # strictly after: 08:10, not 08:00
        CronTick("g", "0 0 * * *", NOW + 16 * 3600),
    ]


def test_a_fired_cron_moves_past_now_without_back_filling(db: SystemDatabase) -> None:
    crons = CronSchedule(db)
    with db.tx() as conn:
        crons.seed(conn, "f", "*/10 * * * *", NOW)
        (tick,) = crons.ticks(conn)
        late = NOW + 3 * 3600 + 5  # three hours of ticks missed
        moved = crons.advance(conn, tick, late)
        assert moved == CronTick("f", "*/10 * * * *", NOW + 3 * 3600 + 600)
        assert crons.ticks(conn) == [moved]


def test_a_cron_schedule_keeps_the_stored_key_and_shape(db: SystemDatabase) -> None:
    with db.tx() as conn:  # as an engine before the typed classes wrote it
        db.flow_put(conn, "cron:f:*/5 * * * *", {"fn": "f", "expr": "*/5 * * * *", "next": NOW})
        crons = CronSchedule(db)
        (tick,) = crons.ticks(conn)
        assert tick == CronTick("f", "*/5 * * * *", NOW)
        assert not crons.seed(conn, "f", "*/5 * * * *", NOW)
        crons.advance(conn, tick, NOW)
        stored = db.flow_get(conn, "cron:f:*/5 * * * *")
    assert stored == {"fn": "f", "expr": "*/5 * * * *", "next": NOW + 300}


# -- batches -------------------------------------------------------------------------------
def test_a_batch_fills_up_and_is_taken_out_when_full(db: SystemDatabase) -> None:
    batches = BatchBuffers(db)
    key = batches.key("f", "")
    with db.tx() as conn:
        first, full = batches.add(conn, key, _ev(1), NOW, max_size=3)
        assert (first, full) == (Batch([_ev(1)], NOW), False)
        second, full = batches.add(conn, key, _ev(2), NOW + 1, max_size=3)
        assert (second, full) == (Batch([_ev(1), _ev(2)], NOW), False)  # opened stays
        assert batches.has_open(conn)
        third, full = batches.add(conn, key, _ev(3), NOW + 2, max_size=3)
        assert full and third.events == [_ev(1), _ev(2), _ev(3)]
        assert not batches.has_open(conn) and batches.take(conn, key) is None
        again, full = batches.add(conn, key, _ev(4), NOW + 3, max_size=3)
    assert again == Batch([_ev(4)], NOW + 3) and not full  # a new batch opens


def test_a_batch_is_taken_out_once_and_keys_are_apart(db: SystemDatabase) -> None:
    batches = BatchBuffers(db)
    with db.tx() as conn:
        batches.add(conn, batches.key("f", "a"), _ev(1), NOW, max_size=10)
        batches.add(conn, batches.key("f", "b"), _ev(2), NOW, max_size=10)
        assert batches.take(conn, batches.key("f", "a")) == Batch([_ev(1)], NOW)
        assert batches.take(conn, batches.key("f", "a")) is None
        assert batches.has_open(conn)  # f/b's batch is still open
        assert db.flow_get(conn, "batch:f:b") == {"events": [_ev(2)], "opened": NOW}


# -- debounce ------------------------------------------------------------------------------
def test_a_debounce_keeps_the_latest_event_and_its_first_arrival(db: SystemDatabase) -> None:
    debounces = Debounces(db)
    key = debounces.key("f", "k")
    assert key == "debounce:f:k"
    with db.tx() as conn:
        assert debounces.push(conn, key, _ev(1), NOW, 10.0, None) == Debounced(
            _ev(1), NOW, NOW + 10
        )
        pushed = debounces.push(conn, key, _ev(2), NOW + 5, 10.0, None)
        assert pushed == Debounced(_ev(2), NOW, NOW + 15)
        capped = debounces.push(conn, key, _ev(3), NOW + 14, 10.0, 20.0)
        assert capped == Debounced(_ev(3), NOW, NOW + 20)  # the timeout after the first
        assert db.flow_get(conn, key) == {"event": _ev(3), "first": NOW, "due": NOW + 20}


def test_a_debounce_fires_only_when_due_and_only_once(db: SystemDatabase) -> None:
    debounces = Debounces(db)
    key = debounces.key("f", "")
    with db.tx() as conn:
        assert not debounces.has_pending(conn)
        debounces.push(conn, key, _ev(1), NOW, 10.0, None)
        assert debounces.has_pending(conn)
        assert debounces.take_due(conn, key, NOW + 9) is None  # pushed later: not yet
        assert debounces.take_due(conn, key, NOW + 10) == Debounced(_ev(1), NOW, NOW + 10)
        assert debounces.take_due(conn, key, NOW + 11) is None
        assert not debounces.has_pending(conn)


# -- singleton -----------------------------------------------------------------------------
def test_a_singleton_key_remembers_its_last_run(db: SystemDatabase) -> None:
    singletons = Singletons(db)
    key = singletons.key("f", "user-1")
    with db.tx() as conn:
        assert singletons.holder(conn, key) is None
        singletons.hold(conn, key, "run-a")
        singletons.hold(conn, key, "run-b")
        assert singletons.holder(conn, key) == "run-b"
        assert singletons.holder(conn, singletons.key("f", "user-2")) is None
        assert db.flow_get(conn, "singleton:f:user-1") == "run-b"


# -- throttle and rate limit ---------------------------------------------------------------
def test_throttle_and_rate_limit_cells_are_apart_and_expire(db: SystemDatabase) -> None:
    cells = RateCells(db)
    throttle, rate = cells.throttle_key("f", "k"), cells.rate_limit_key("f", "k")
    assert (throttle, rate) == ("throttle:f:k", "ratelimit:f:k")
    with db.tx() as conn:
        assert cells.tat(conn, throttle) is None
        cells.set_tat(conn, throttle, NOW + 6)
        assert cells.tat(conn, throttle) == NOW + 6 and cells.tat(conn, rate) is None
    db.prune(before=NOW + 6 + 3599)  # kept an hour past its arrival time
    with db.tx() as conn:
        assert cells.tat(conn, throttle) == NOW + 6
    db.prune(before=NOW + 6 + 3601)
    with db.tx() as conn:
        assert cells.tat(conn, throttle) is None


# -- idempotency ---------------------------------------------------------------------------
def test_an_idempotency_key_is_seen_for_its_window(db: SystemDatabase) -> None:
    marks = IdempotencyMarks(db)
    key = marks.key("f", "order-7")
    with db.tx() as conn:
        assert not marks.seen(conn, key, NOW)
        assert marks.seen(conn, key, NOW + 60)
        assert not marks.seen(conn, marks.key("g", "order-7"), NOW)
    db.prune(before=NOW + 24 * 3600 - 1)
    with db.tx() as conn:
        assert marks.seen(conn, key, NOW + 24 * 3600 - 1)
    db.prune(before=NOW + 24 * 3600 + 1)
    with db.tx() as conn:
        assert not marks.seen(conn, key, NOW + 24 * 3600 + 1)  # the window passed


# -- bulk cancellation ---------------------------------------------------------------------
def _job(job_id: str, **extra: Any) -> CancellationJob:
    job = CancellationJob(
        id=job_id,
        app_id="app",
        function_id="fn",
        fn="app-fn",
        started_after=None,
        started_before=NOW,
        if_expr="event.data.n == 1",
        created_at=NOW,
    )
    for name, value in extra.items():
        setattr(job, name, value)
    return job


def test_cancellation_jobs_are_kept_listed_in_order_and_removed(db: SystemDatabase) -> None:
    jobs = CancellationJobs(db)
    with db.tx() as conn:
        jobs.save(conn, _job("02"))
        jobs.save(conn, _job("01", started_after=NOW - 60))
        done = _job("02", done=True, cancelled=3)
        jobs.save(conn, done)  # progress overwrites the job
    with db.tx() as conn:
        assert jobs.all(conn) == [_job("01", started_after=NOW - 60), done]
        assert jobs.remove(conn, "01") and not jobs.remove(conn, "01")
        assert [j.id for j in jobs.all(conn)] == ["02"]


def test_a_cancellation_job_keeps_the_stored_json(db: SystemDatabase) -> None:
    stored = {
        "id": "01",
        "app_id": "app",
        "function_id": "fn",
        "fn": "app-fn",
        "started_after": None,
        "started_before": NOW,
        "if": None,
        "created_at": NOW,
        "done": False,
        "cancelled": 0,
    }
    with db.tx() as conn:  # as an engine before the typed classes wrote it
        db.flow_put(conn, "cancellation:01", stored)
        (job,) = CancellationJobs(db).all(conn)
    assert job == _job("01", if_expr=None) and job.to_json() == stored
