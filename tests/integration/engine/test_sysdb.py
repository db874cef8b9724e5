"""The system database's contract, run on SQLite and on Postgres: what the engine
writes in a transaction is what it reads back, leases are exclusive, reads are typed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from harvester.engine import QueueKind, RunStatus
from harvester.engine.history import RunHistory
from harvester.engine.records import LiveRun, Wait
from harvester.engine.sysdb import SystemDatabase


@pytest.fixture
def db(database_url: str) -> Iterator[SystemDatabase]:
    sysdb = SystemDatabase(database_url)
    yield sysdb
    sysdb.dispose()


def hist(db: SystemDatabase) -> RunHistory:
    """The read side over the same database."""
    return RunHistory(db.sql)


def _run(run_id: str, created: float, fn: str = "f", **extra: Any) -> LiveRun:
    """A new run; ``extra`` sets other fields (a finished run's status and times)."""
    run = LiveRun(
        run_id=run_id,
        fn_id=fn,
        event_id=None,
        events=[{"name": "a/b", "data": {"n": 1}, "id": f"ev-{run_id}", "ts": 0}],
        status=RunStatus.QUEUED,
        attempt=0,
        steps={},
        stack=[],
        pending=[],
        parallel=False,
        parent=None,
        output=None,
        error=None,
        created_at=created,
        started_at=None,
        ended_at=None,
    )
    return dataclasses.replace(run, **extra)


def _event(eid: str) -> dict[str, Any]:
    return {"name": "a/b", "data": {"q": "'; drop table x; --"}, "id": eid, "ts": 1}


def test_an_event_id_is_stored_once(db: SystemDatabase) -> None:
    with db.tx() as conn:
        first, fresh = db.insert_event(conn, _event("e1"), 10.0)
        again, fresh_again = db.insert_event(conn, _event("e1"), 11.0)
    assert fresh and not fresh_again and again == first
    stored = hist(db).get_event(first)
    assert stored is not None and stored.data == {"q": "'; drop table x; --"}


def test_a_run_reads_back_as_written_with_its_steps(db: SystemDatabase) -> None:
    with db.tx() as conn:
        run = _run("r1", 5.0)
        db.insert_run(conn, run)
        db.mark_running(conn, "r1", 6.0)
        db.save_progress(
            conn, run.advanced(steps={"s": 1}, stack=["s"], pending=[], attempt=0, parallel=False)
        )
        db.add_step(
            conn, run_id="r1", step_id="s", name="one", op="StepRun", attempt=0,
            started_at=6.0, ended_at=6.5, output={"x": [1, 2]}, error=None,
        )  # fmt: skip
        locked = db.read_run(conn, "r1", lock=True)
    assert locked is not None and locked.steps == {"s": 1} and locked.stack == ["s"]
    assert locked.status is RunStatus.RUNNING and locked.started_at == 6.0
    detail = hist(db).run_detail("r1")
    assert detail is not None and detail.status is RunStatus.RUNNING
    assert detail.event_name == "a/b" and detail.events[0]["data"] == {"n": 1}
    assert [(s.name, s.output, s.duration) for s in detail.steps] == [("one", {"x": [1, 2]}, 0.5)]
    assert hist(db).run_detail("nope") is None


def test_a_run_written_and_read_through_the_driver_matches_sqlalchemy(
    db: SystemDatabase,
) -> None:
    """On SQLite a run's read and update skip SQLAlchemy: what they write must read
    back the same through SQLAlchemy (JSON, JSON null, SQL NULL, booleans, enums)."""
    import sqlalchemy as sa

    from harvester.engine import schema

    with db.tx() as conn:
        run = _run("r1", 5.0, parent={"run_id": "p", "step_id": "s"})
        db.insert_run(conn, run)
        steps = {"s": None, "t": [1]}
        db.save_progress(
            conn, run.advanced(steps=steps, stack=[], pending=[], attempt=2, parallel=True)
        )
        error = {"name": "E", "message": "é ✓"}
        db.finish_run(conn, "r1", RunStatus.FAILED, 7.0, None, error)
        ours = db.read_run(conn, "r1")
    with db.sql.connect() as conn:
        row = conn.execute(sa.select(schema.runs).where(schema.runs.c.run_id == "r1")).one()
    theirs = dict(row._mapping)
    assert ours is not None and dataclasses.asdict(ours) == theirs
    for output in (42, 1.5, -7, True, "42", [3]):  # SQLite stores a bare number as one
        with db.tx() as conn:
            db.finish_run(conn, "r1", RunStatus.COMPLETED, 8.0, output, None)
            again = db.read_run(conn, "r1")
        assert again is not None and again.output == output
        assert type(again.output) is type(output)
    assert ours.parallel is True and ours.status is RunStatus.FAILED and ours.attempt == 2
    assert ours.steps == {"s": None, "t": [1]} and ours.output is None
    assert ours.error == {"name": "E", "message": "é ✓"} and ours.started_at is None
    with db.tx() as conn:
        assert db.read_run(conn, "missing") is None


def test_events_runs_and_waits_written_through_the_driver_match_sqlalchemy(
    db: SystemDatabase,
) -> None:
    """On SQLite an event's and a run's insert, the waits' read and the deletion of a
    run's items skip SQLAlchemy: the rows as stored and what is read are the same."""
    import sqlalchemy as sa

    def write(tag: str) -> tuple[tuple[str, bool], tuple[str, bool], list[Wait], list[Any]]:
        with db.tx() as conn:
            ev = {"name": "a/b", "data": {"n": [1, "é"]}, "id": f"ev-{tag}", "ts": 2**40}
            first = db.insert_event(conn, ev, 3.5)
            again = db.insert_event(conn, ev, 4.5)
            run = _run(f"run-{tag}", 5.0, parent={"run_id": "p", "step_id": "s"}, attempt=1)
            db.insert_run(conn, run)
            db.insert_run(conn, _run(f"bare-{tag}", 6.0, status=RunStatus.RUNNING))
            db.add_wait(conn, Wait(f"run-{tag}", "w", f"w/{tag}", "event.data.n == 1", 9.0))
            waits = db.waits_for(conn, f"w/{tag}")
            for kind in (QueueKind.CALL, QueueKind.WAKE, QueueKind.WAIT_TIMEOUT):
                db.enqueue(conn, f"run-{tag}", "f", kind, 1.0, "w")
            db.enqueue(conn, f"run-{tag}", "f", QueueKind.WAIT_TIMEOUT, 1.0, "other")
            db.delete_run_items(conn, f"run-{tag}", [QueueKind.WAIT_TIMEOUT], "w")
            db.delete_run_items(conn, f"run-{tag}", [QueueKind.CALL])
            left = conn.execute(
                sa.text("SELECT kind, step_id FROM engine_queue WHERE run_id = :r"),
                {"r": f"run-{tag}"},
            ).all()
            db.delete_run_items(conn, f"bare-{tag}")
        return first, again, waits, [tuple(r) for r in left]

    def stored(table: str, key: str, value: str) -> list[tuple[Any, ...]]:
        with db.sql.connect() as conn:
            found = conn.execute(sa.text(f"SELECT * FROM {table} WHERE {key} = :v"), {"v": value})
            return [tuple(r) for r in found]

    raw = write("x")
    db._raw_runs = False
    theirs = write("y")
    assert raw[0][1] is True and raw[1] == (raw[0][0], False)  # a repeat is the same event
    assert theirs[0][1] is True and theirs[1] == (theirs[0][0], False)
    assert (
        [(w.step_id, w.expression, w.expires_at) for w in raw[2]]
        == [(w.step_id, w.expression, w.expires_at) for w in theirs[2]]
        == [("w", "event.data.n == 1", 9.0)]
    )
    assert (
        raw[3]
        == theirs[3]
        == [(QueueKind.WAKE.value, "w"), (QueueKind.WAIT_TIMEOUT.value, "other")]
    )
    ours_ev = stored("engine_events", "id", "ev-x")[0]
    their_ev = stored("engine_events", "id", "ev-y")[0]
    assert ours_ev[2:] == their_ev[2:]  # name, data as stored, ts, received at

    def named_x(row: tuple[Any, ...]) -> tuple[Any, ...]:  # every column but the id
        import json  # Postgres's driver decodes JSON columns: compare them as text

        text = [json.dumps(v) if isinstance(v, dict | list) else v for v in row[1:]]
        return tuple(v.replace("-y", "-x") if isinstance(v, str) else v for v in text)

    for name in ("run", "bare"):
        ours_run = stored("engine_runs", "run_id", f"{name}-x")[0]
        their_run = stored("engine_runs", "run_id", f"{name}-y")[0]
        assert named_x(ours_run) == named_x(their_run)


def test_a_runs_memo_reads_back_exactly_whatever_its_numbers(db: SystemDatabase) -> None:
    """The run is read with orjson where it can: an integer beyond 64 bits (a float to
    orjson), NaN (refused by orjson) and exact floats still read back as written."""
    import math

    memos: list[dict[str, Any]] = [
        {"big": 2**70 + 1},  # orjson alone reads 1.1805916207174113e+21
        {"neg": -(2**64) - 3, "u64": 2**64 - 1, "i64": -(2**63)},
        {"digits": "1234567890123456789012", "float": 0.1 + 0.2, "f": 1e300},
        {"text": "é ✓ \u2028", "n": [1, 2.5, None, True]},
    ]
    if not db.postgres:  # Postgres refuses NaN in a json column; SQLite stores it
        memos.append({"nan": float("nan")})
    with db.tx() as conn:
        run = _run("r1", 5.0)
        db.insert_run(conn, run)
        for steps in memos:
            db.save_progress(
                conn, run.advanced(steps=steps, stack=[], pending=[], attempt=0, parallel=False)
            )
            got = db.read_run(conn, "r1")
            assert got is not None
            if "nan" in steps:
                assert math.isnan(got.steps["nan"])
                continue
            assert got.steps == steps
            assert [type(v) for v in got.steps.values()] == [type(v) for v in steps.values()]


def test_steps_and_queue_items_written_through_the_driver_match_sqlalchemy(
    db: SystemDatabase,
) -> None:
    """On SQLite a step row, and a queue item's insert, re-target and delete, skip
    SQLAlchemy: the rows (JSON as stored, JSON null, SQL NULL) and the ids returned
    must be what SQLAlchemy's statements give (on Postgres both runs take them)."""
    import sqlalchemy as sa

    from harvester.engine.records import DueItem

    def write(run_id: str) -> list[int]:
        with db.tx() as conn:
            db.insert_run(conn, _run(run_id, 5.0))
            db.add_step(
                conn, run_id=run_id, step_id="s", name="one", op="StepRun", attempt=1,
                started_at=6.0, ended_at=6.5, output={"x": [1, "é ✓"]}, error=None,
            )  # fmt: skip
            db.add_step(
                conn, run_id=run_id, step_id="t", name="two", op="StepRun", attempt=0,
                started_at=7.0, ended_at=7.25, output=None, error={"name": "E", "message": "m"},
            )  # fmt: skip
            held = db.enqueue(conn, run_id, "f", QueueKind.WAKE, 10.0, "nap", lease=("a", 60.0))
            call = db.enqueue(conn, run_id, "f", QueueKind.CALL, 11.0, concurrency=[["k", 2]])
            gone = db.enqueue(conn, run_id, "f", QueueKind.FINISH_TIMEOUT, 99.0)
            db.retarget_item(conn, held, "next", 12.0, 70.0, [["f:0:", 1]])
            item = DueItem(gone, run_id, "f", QueueKind.FINISH_TIMEOUT, None, 99.0, None, [])
            db.delete_item(conn, DueItem(call, "other-run", "f", QueueKind.CALL, None, 1, None, []))
            db.delete_item(conn, item)
        return [held, call, gone]

    def rows(table: str, run_id: str) -> list[tuple[Any, ...]]:
        """The rows as stored (no JSON decoding by SQLAlchemy), run id left out."""
        with db.sql.connect() as conn:
            found = conn.execute(
                sa.text(f"SELECT * FROM {table} WHERE run_id = :r ORDER BY id"), {"r": run_id}
            )
            return [tuple(v for k, v in r._mapping.items() if k != "run_id") for r in found]

    raw_ids = write("raw")
    db._raw_runs = False
    sa_ids = write("sa")
    assert [i - raw_ids[0] for i in raw_ids] == [i - sa_ids[0] for i in sa_ids] == [0, 1, 2]
    assert [r[0] for r in rows("engine_queue", "raw")] == raw_ids[:2]
    assert [r[0] for r in rows("engine_queue", "sa")] == sa_ids[:2]
    queued = [r[1:] for r in rows("engine_queue", "raw")]
    assert queued == [r[1:] for r in rows("engine_queue", "sa")] and len(queued) == 2
    assert [r[1:] for r in rows("engine_steps", "raw")] == [
        r[1:] for r in rows("engine_steps", "sa")
    ]
    read = {}
    for run_id in ("raw", "sa"):
        detail = hist(db).run_detail(run_id)
        assert detail is not None
        read[run_id] = [(s.name, s.output, s.error, s.duration) for s in detail.steps]
    assert (
        read["raw"]
        == read["sa"]
        == [
            ("one", {"x": [1, "é ✓"]}, None, 0.5),
            ("two", None, {"name": "E", "message": "m"}, 0.25),
        ]
    )


def test_due_items_read_through_the_driver_match_sqlalchemy(db: SystemDatabase) -> None:
    """On SQLite the dispatcher's reads of due items (calls, calls without slots, timers)
    skip SQLAlchemy: the same items, in the same due order, as its statements give."""
    with db.tx() as conn:
        db.insert_run(conn, _run("r1", 5.0))
        db.enqueue(conn, "r1", "f", QueueKind.CALL, 3.0, concurrency=[["fn:f", 2]])
        db.enqueue(conn, "r1", "f", QueueKind.WAKE, 2.0, "nap")
        db.enqueue(conn, "r1", "f", QueueKind.CALL, 1.0, "s")
        db.enqueue(conn, "r1", "f", QueueKind.WAIT_TIMEOUT, 2.0, "w")
        db.enqueue(conn, "r1", "f", QueueKind.CALL, 4.0, lease=("other", 60.0))  # held
        db.enqueue(conn, "r1", "f", QueueKind.CALL, 4.0, lease=("gone", 9.0))  # expired
        db.enqueue(conn, "r1", "f", QueueKind.FINISH_TIMEOUT, 99.0)  # not due

    def reads() -> list[list[Any]]:
        return [
            db.candidates(10.0),
            db.candidates(10.0, unlimited_only=True),
            db.candidates(10.0, limit=2),
            db.due_timers(10.0, 64),
        ]

    raw = reads()
    db._raw_runs = False
    assert raw == reads()
    every, unlimited, first_two, timers = raw
    assert [(i.kind, i.due_at) for i in every] == [
        (QueueKind.CALL, 1.0), (QueueKind.WAKE, 2.0), (QueueKind.WAIT_TIMEOUT, 2.0),
        (QueueKind.CALL, 3.0), (QueueKind.CALL, 4.0),
    ]  # fmt: skip
    assert every[3].concurrency == [["fn:f", 2]] and every[4].lease_until == 9.0
    assert [i.due_at for i in unlimited] == [1.0, 2.0, 2.0, 4.0]
    assert first_two == every[:2]
    assert [i.kind for i in timers] == [QueueKind.WAKE, QueueKind.WAIT_TIMEOUT]


def test_leases_taken_through_the_driver_match_sqlalchemy(db: SystemDatabase) -> None:
    """On SQLite a lease and its release skip SQLAlchemy: the same items are taken and
    refused (held, expired, changed since read, no step and a step)."""
    from harvester.engine.records import DueItem

    def play(run_id: str) -> list[bool]:
        got: list[bool] = []
        with db.tx() as conn:
            db.insert_run(conn, _run(run_id, 5.0))
            a = db.enqueue(conn, run_id, "f", QueueKind.CALL, 1.0)
            b = db.enqueue(conn, run_id, "f", QueueKind.WAKE, 2.0, "nap")
            item_a = DueItem(a, run_id, "f", QueueKind.CALL, None, 1.0, None, [])
            item_b = DueItem(b, run_id, "f", QueueKind.WAKE, "nap", 2.0, None, [])
            stale_b = DueItem(b, run_id, "f", QueueKind.WAKE, "nap", 2.5, None, [])
            other_step = DueItem(b, run_id, "f", QueueKind.WAKE, None, 2.0, None, [])
            got += [db.lease_in(conn, item_a, "me", 10.0, 40.0)]  # free: taken
            got += [db.lease_in(conn, item_a, "you", 20.0, 50.0)]  # held: refused
            got += [db.lease_in(conn, item_a, "you", 41.0, 70.0)]  # expired: taken
            got += [db.lease_in(conn, stale_b, "me", 10.0, 40.0)]  # changed since read
            got += [db.lease_in(conn, other_step, "me", 10.0, 40.0)]  # not its step
            got += [db.lease_in(conn, item_b, "me", 10.0, 40.0)]
            db.unlease_in(conn, b)
            got += [db.lease_in(conn, item_b, "you", 11.0, 40.0)]  # released: taken
        return got

    raw = play("raw")
    db._raw_runs = False
    assert raw == play("sa") == [True, False, True, False, False, True, True]
    with db.sql.connect() as conn:
        import sqlalchemy as sa

        held = conn.execute(
            sa.text("SELECT run_id, lease_owner, lease_until FROM engine_queue ORDER BY id")
        ).all()
    assert [tuple(r) for r in held] == [
        ("raw", "you", 70.0), ("raw", "you", 40.0), ("sa", "you", 70.0), ("sa", "you", 40.0),
    ]  # fmt: skip


def test_a_run_read_to_be_written_is_held_until_the_transaction_ends(
    db: SystemDatabase, database_url: str
) -> None:
    """Another engine process (its own connections) cannot change a run between a
    transaction's read of it and its write back: its write waits, then lands on top.
    On SQLite the driver began a transaction only at its first write, so the other
    write went through in between and was overwritten (a lost update)."""
    import threading

    other_db = SystemDatabase(database_url)
    with db.tx() as conn:
        db.insert_run(conn, _run("r1", 5.0))
    done = threading.Event()

    def other() -> None:
        with other_db.tx() as conn:
            other_db.set_attempt(conn, "r1", 7)
        done.set()

    with db.tx() as conn:
        run = db.read_run(conn, "r1", lock=True)
        assert run is not None
        writer = threading.Thread(target=other)
        writer.start()
        held = not done.wait(0.5)  # it must wait for us, however long we take
        db.save_progress(
            conn, run.advanced(steps={"s": 1}, stack=["s"], pending=[], attempt=0, parallel=False)
        )
    writer.join(30)
    other_db.dispose()
    assert held, "another connection wrote the run while this transaction held it"
    final = db.load_run("r1")
    assert final is not None and final.steps == {"s": 1} and final.attempt == 7


def test_a_lease_is_exclusive_until_it_expires_or_is_released(db: SystemDatabase) -> None:
    with db.tx() as conn:
        db.insert_run(conn, _run("r1", 1.0))
        late = db.enqueue(conn, "r1", "f", QueueKind.WAKE, 20.0, "s")
        early = db.enqueue(conn, "r1", "f", QueueKind.CALL, 10.0, concurrency=[["f:0:", 2]])
    read = db.candidates(now=30.0)
    assert [c.id for c in read] == [early, late]  # due order
    item = read[0]
    assert (item.kind, item.step_id, item.concurrency) == (QueueKind.CALL, None, [["f:0:", 2]])
    got, run = db.lease(item, "a", now=30.0, until=90.0)
    assert got and run is not None and run.run_id == "r1"
    assert db.lease(item, "b", now=31.0, until=91.0) == (False, None)
    assert [c.id for c in db.candidates(now=31.0)] == [late]
    assert db.lease(item, "b", now=95.0, until=150.0)[0]  # a's lease expired
    db.release_item(early, "a")  # a holds it no longer: nothing happens
    assert db.lease(item, "c", now=96.0, until=150.0) == (False, None)
    db.release_item(early, "b")
    assert db.lease(item, "c", now=96.0, until=150.0)[0]
    db.release_leases("c")
    assert [i.leased for i in hist(db).list_queue()] == [False, False]


def test_a_lease_takes_the_item_as_read_not_a_row_that_changed_since(
    db: SystemDatabase,
) -> None:
    """Two processes read the same due timer; one fires it, which re-targets its row
    (same id) at the run's next call and hands it back. The other's lease, taken on
    its stale read, must fail: with a lease by id alone it took the call, did nothing
    (its timer had fired) and deleted it, leaving the run RUNNING with nothing queued."""
    with db.tx() as conn:
        db.insert_run(conn, _run("r1", 1.0))
        db.enqueue(conn, "r1", "f", QueueKind.WAIT_TIMEOUT, 10.0, "wait")
    [a_read] = db.due_timers(now=10.0, limit=10)
    [b_read] = db.due_timers(now=10.0, limit=10)
    with db.tx() as conn:  # a fires it: the row becomes the run's next call, free
        assert db.lease_in(conn, a_read, "a", now=10.0, until=70.0)
        db.retarget_item(conn, a_read.id, None, 10.5, 70.0, [])
        db.unlease_in(conn, a_read.id)
    assert db.lease(b_read, "b", now=10.6, until=70.6) == (False, None)
    [call] = db.candidates(now=11.0)
    assert call.id == b_read.id and call.kind is QueueKind.CALL
    assert db.lease(call, "b", now=11.0, until=71.0)[0]  # read as it is now: taken


def test_a_held_item_is_retargeted_and_items_are_deleted_by_kind(db: SystemDatabase) -> None:
    with db.tx() as conn:
        item = db.enqueue(conn, "r1", "f", QueueKind.WAKE, 10.0, "nap", lease=("a", 60.0))
        db.enqueue(conn, "r1", "f", QueueKind.FINISH_TIMEOUT, 99.0)
        db.retarget_item(conn, item, "next", 10.0, 70.0, [["f:0:", 1]])
    first = hist(db).list_queue()[0]
    assert (first.kind, first.step_id, first.leased) == (QueueKind.CALL, "next", True)
    with db.tx() as conn:
        db.delete_run_items(conn, "r1", [QueueKind.FINISH_TIMEOUT])
    assert [i.kind for i in hist(db).list_queue()] == [QueueKind.CALL]


def test_a_wait_is_taken_once(db: SystemDatabase) -> None:
    with db.tx() as conn:
        db.add_wait(
            conn, Wait(run_id="r1", step_id="w", event_name="x/y", expression=None, expires_at=9.0)
        )
        assert [w.step_id for w in db.waits_for(conn, "x/y")] == ["w"]
        assert db.take_wait(conn, "r1", "w") and not db.take_wait(conn, "r1", "w")


def test_flow_state_upserts_and_lists_by_prefix(db: SystemDatabase) -> None:
    with db.tx() as conn:
        db.flow_put(conn, "batch:f:", {"events": [1]})
        db.flow_put(conn, "batch:f:", {"events": [1, 2]})
        db.flow_put(conn, "cron:f:* * * * *", {"next": 60.0})
        assert db.flow_get(conn, "batch:f:", lock=True) == {"events": [1, 2]}
        assert db.flow_prefix(conn, "batch:") == [("batch:f:", {"events": [1, 2]})]
        db.flow_delete(conn, "batch:f:")
        assert db.flow_get(conn, "batch:f:") is None


def test_runs_list_newest_first_by_keyset_and_filter(db: SystemDatabase) -> None:
    with db.tx() as conn:
        for i in range(7):
            db.insert_run(conn, _run(f"r{i}", float(i % 3), fn="f" if i % 2 else "g"))
    seen, cursor = [], None
    while True:
        page = hist(db).list_runs(limit=3, cursor=cursor)
        seen += [r.run_id for r in page.data]
        if not (cursor := page.next_cursor):
            break
    assert len(seen) == len(set(seen)) == 7
    assert [r.created_at for r in hist(db).list_runs().data] == sorted(
        (float(i % 3) for i in range(7)), reverse=True
    )
    assert {r.fn_id for r in hist(db).list_runs(fn="f").data} == {"f"}
    assert hist(db).list_runs(status="queued", since=1.0, until=2.0).data[0].created_at == 1.0
    assert hist(db).function_stats() == {"f": {"QUEUED": 3}, "g": {"QUEUED": 4}}


def test_events_list_with_the_runs_they_started(db: SystemDatabase) -> None:
    with db.tx() as conn:
        internal, _ = db.insert_event(conn, _event("e1"), 10.0)
        db.insert_run(conn, _run("r1", 10.0, event_id=internal))
    (listed,) = hist(db).list_events(name="a/b")
    assert listed.internal_id == internal and [r.run_id for r in listed.runs] == ["r1"]
    assert [r.run_id for r in hist(db).event_runs(internal)] == ["r1"]
    assert hist(db).list_events(cursor=10.0) == []


def test_queue_stats_and_pruning(db: SystemDatabase) -> None:
    done = RunStatus.COMPLETED
    with db.tx() as conn:
        old, _ = db.insert_event(conn, _event("old"), 1.0)
        db.insert_run(conn, _run("done", 1.0, event_id=old, status=done, ended_at=1.5))
        db.insert_run(conn, _run("live", 2.0))
        db.enqueue(conn, "live", "f", QueueKind.CALL, 5.0)
        db.enqueue(conn, "live", "f", QueueKind.WAKE, 50.0)
        db.flow_put(conn, "idem:f:x", True, expires_at=1.0)
    stats = hist(db).queue_stats(now=8.0)
    assert (stats.due, stats.queued, stats.lag_seconds) == (1, 2, 3.0)
    assert db.busy_count(horizon=100.0) == 2
    assert db.prune(before=2.0) == 1
    assert [r.run_id for r in hist(db).list_runs().data] == ["live"]
    assert hist(db).get_event(old) is None  # no run points at it any more
    with db.tx() as conn:
        assert db.flow_get(conn, "idem:f:x") is None


def test_function_series_buckets_throughput_failures_and_latency(db: SystemDatabase) -> None:
    done = {"status": RunStatus.COMPLETED}
    failed, cancelled = RunStatus.FAILED, RunStatus.CANCELLED
    with db.tx() as conn:
        # bucket [0, 60): two completed (ran 1 s and 3 s, queued 10 s and 0 s), one failed
        db.insert_run(conn, _run("a", 0.0, started_at=10.0, ended_at=11.0, **done))
        db.insert_run(conn, _run("b", 20.0, started_at=20.0, ended_at=23.0, **done))
        db.insert_run(conn, _run("c", 30.0, started_at=30.0, ended_at=35.0, status=failed))
        # bucket [120, 180): one cancelled before it ever started
        db.insert_run(conn, _run("d", 100.0, ended_at=150.0, status=cancelled))
        db.insert_run(conn, _run("other", 0.0, fn="g", started_at=1.0, ended_at=2.0, **done))
        db.insert_run(conn, _run("live", 5.0))  # unfinished: in no bucket
        db.insert_run(conn, _run("late", 0.0, started_at=1.0, ended_at=200.0, **done))
    first, empty, last = hist(db).function_series("f", since=0.0, until=180.0, bucket=60.0)
    assert (first.start, first.completed, first.failed, first.cancelled) == (0.0, 2, 1, 0)
    assert (first.p50_seconds, first.p95_seconds, first.queued_p95_seconds) == (3.0, 5.0, 10.0)
    assert (empty.start, empty.completed, empty.p50_seconds) == (60.0, 0, None)
    assert (last.cancelled, last.p50_seconds, last.queued_p95_seconds) == (1, 50.0, None)
