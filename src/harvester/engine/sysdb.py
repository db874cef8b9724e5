"""The system database: every table the engine keeps and every query on them (the
reads are in ``history``). SQLAlchemy Core, sync: SQLite writes are microseconds and
serialised anyway; Postgres takes row locks with SKIP LOCKED."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import Connection, Engine, event

from harvester.engine import clock, schema
from harvester.engine.config import TERMINAL, RunStatus
from harvester.engine.records import TIMER_KINDS, DueItem, LiveRun, QueueKind, Slots, Wait

_ASKS = "asks-for-work:"  # flow keys of idle engine processes (Dispatcher._share)
BUSY_TIMEOUT_S = 30.0  # how long a write waits for another process's write lock
_BUSY_PRAGMA = f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}"
# Stored strings back to their enums by a dict lookup (cheaper than the enum's call).
_STATUS = {s.value: s for s in RunStatus}
_KIND = {k.value: k for k in QueueKind}


def new_id() -> str:
    """Time-ordered unique id (UUIDv7-like: sortable by creation)."""
    return uuid.uuid7().hex if hasattr(uuid, "uuid7") else _uuid7()


def _uuid7() -> str:
    import os

    # Ids order by real time whatever clock the engine runs on (a test's fake clock
    # must not make two runs' ids collide or sort back).
    ms = int(clock.wall() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms << 80) | (0x7 << 76) | (rand & ((1 << 76) - 1))
    return f"{value:032x}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any, own_checkpoints: bool = False) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(_BUSY_PRAGMA)
    if own_checkpoints:  # a WalCheckpointer thread does them (engine/checkpoints.py)
        cur.execute("PRAGMA wal_autocheckpoint=0")
    cur.close()


def begin_immediate(raw: sqlite3.Connection, timeout: float = BUSY_TIMEOUT_S) -> None:
    """``BEGIN IMMEDIATE``, retried every 0.1-1 ms while another process holds the
    write lock, for up to ``timeout`` seconds; then SQLite's "database is locked".

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms
    between tries. Two engine processes commit many times a second, so one that missed
    the lock twice slept on while the other took it again and again: waits of 8 ms
    were common and one lasted 104 ms, with that process's event loop (every call it
    runs) stopped all along; which process lost decided how the work was split."""
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline, wait = 0.0, 0.0001
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY:
                    raise
                now = clock.monotonic()
                if not deadline:
                    deadline = now + timeout
                elif now >= deadline:
                    raise
            clock.pause(wait)
            wait = min(wait * 2, 0.001)
    finally:
        raw.execute(_BUSY_PRAGMA)


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1]
    return path if path and path != ":memory:" and "///" in url else None


def make_engine(url: str, own_checkpoints: bool = False) -> Engine:
    """``own_checkpoints`` (SQLite): commits never checkpoint the WAL; the caller runs
    a ``WalCheckpointer`` on the file."""
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        eng = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
        )

        def pragmas(dbapi_conn: Any, record: Any) -> None:
            _sqlite_pragmas(dbapi_conn, record, own_checkpoints and path is not None)

        event.listen(eng, "connect", pragmas)
        return eng
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


_LONG_DIGITS = re.compile(r"\d{19}")


def _json_column(text: str | float) -> Any:
    """A JSON column as SQLAlchemy's json.dumps wrote it, read by orjson (several times
    faster) unless it holds what orjson reads otherwise: an integer beyond 64 bits (a
    float to orjson; any run of 19 digits sends the text to json) or NaN (refused).
    A bare number comes back as a number: SQLite gives a column declared JSON numeric
    affinity, so the text ``42`` is stored as the integer 42 (SQLAlchemy reads it so)."""
    if not isinstance(text, str):
        return text
    if _LONG_DIGITS.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


class SystemDatabase:
    """The engine's tables; write-path methods take the caller's transaction."""

    def __init__(self, url: str, own_checkpoints: bool = False) -> None:
        """``own_checkpoints``: on a SQLite file, leave WAL checkpoints to a
        ``checkpoints.WalCheckpointer`` the owner runs (the engine, while started)."""
        self.sql = make_engine(url, own_checkpoints)
        self.postgres = self.sql.dialect.name == "postgresql"
        schema.metadata.create_all(self.sql)
        for index in schema.queue.indexes:  # create_all adds none to an existing table
            index.create(self.sql, checkfirst=True)
        self._prepare()

    def _prepare(self) -> None:
        """Build the hot path's statements once: constructing a SQLAlchemy statement
        costs more than SQLite takes to run it. Bound parameters are prefixed ``b_`` so
        they never clash with the column names an UPDATE or INSERT derives its SET or
        VALUES from (the keys of the parameters it is executed with)."""
        r, q = schema.runs, schema.queue
        b = sa.bindparam
        if tuple(c.name for c in r.c) != LiveRun.__match_args__:
            raise RuntimeError("records.LiveRun's fields must be engine_runs' columns, in order")
        self._get_run = sa.select(r).where(r.c.run_id == b("b_run_id"))
        self._get_run_locked = self._get_run.with_for_update()
        self._update_run_stmt = sa.update(r).where(r.c.run_id == b("b_run_id"))
        self._insert_run = sa.insert(r)
        self._insert_step = sa.insert(schema.steps)
        self._insert_item = sa.insert(q)
        self._delete_item = sa.delete(q).where(q.c.id == b("b_id"), q.c.run_id == b("b_run_id"))
        self._retarget_item = (
            sa.update(q)
            .where(q.c.id == b("b_id"))
            .values(
                kind=QueueKind.CALL.value,
                step_id=b("b_step_id"),
                due_at=b("b_due"),
                lease_until=b("b_until"),
                concurrency=b("b_slots", type_=q.c.concurrency.type),
            )
        )
        free = sa.or_(q.c.lease_until.is_(None), q.c.lease_until < b("b_now"))

        # A DueItem's fields, in its order (it is built positionally from the row).
        self._item_cols = [q.c[name] for name in DueItem.__match_args__]

        def due_free(*only: Any) -> Any:
            """Due items nobody holds (and ``only`` those), in due order, up to b_limit."""
            return (
                sa.select(*self._item_cols)
                .where(q.c.due_at <= b("b_now"), free, *only)
                .order_by(q.c.due_at, q.c.id)
                .limit(b("b_limit"))
            )

        self._candidates = due_free()
        self._candidates_unlimited = due_free(sa.cast(q.c.concurrency, sa.Text) == "[]")
        self._due_timers = due_free(q.c.kind.in_([k.value for k in TIMER_KINDS]))
        self._unlease = (
            sa.update(q).where(q.c.id == b("b_id")).values(lease_owner=None, lease_until=None)
        )
        self._next_due = sa.select(sa.func.min(q.c.due_at)).where(free)
        # A lease is taken on the item as it was read, not on whatever row has its id
        # now: another process may have fired that timer meanwhile and re-targeted its
        # row at the run's next call (same id), or deleted it and SQLite given the id
        # to a new item. Leasing by id alone took such a row, acted on the stale read
        # (a timer already fired does nothing) and deleted the run's next call: the
        # run stayed RUNNING with nothing queued (a wait_for_event that never ended).
        self._lease = (
            sa.update(q)
            .where(
                q.c.id == b("b_id"),
                free,
                q.c.run_id == b("b_run_id"),
                q.c.kind == b("b_kind"),
                q.c.step_id.is_not_distinct_from(b("b_step_id", type_=q.c.step_id.type)),
                q.c.due_at == b("b_due", type_=q.c.due_at.type),
            )
            .values(lease_owner=b("b_owner"), lease_until=b("b_until"))
        )
        self._unlease_owned = self._unlease.where(q.c.lease_owner == b("b_owner"))
        self._lock_item = (
            sa.select(q.c.id).where(q.c.id == b("b_id")).with_for_update(skip_locked=True)
        )
        self._insert_event = (
            self._insert(schema.events)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(schema.events.c.internal_id)
        )
        w = schema.waits
        self._waits_for = sa.select(*(w.c[name] for name in Wait.__match_args__)).where(
            w.c.event_name == b("b_name")
        )
        # SQLite: a run's read and update go to the driver itself, in the same
        # transaction (the same DBAPI connection): SQLAlchemy's per-statement work
        # (parameter processing, result proxy, type processors) costs several times
        # what SQLite takes to run them, and every SDK call and timer does both. The
        # values are what SQLAlchemy reads and writes: JSON as json.dumps/json.loads
        # (None as JSON null), booleans as 0/1. The same flag sends the other hot
        # statements prepared below to the driver (tests turn it off to compare).
        self._raw_runs = not self.postgres
        cols = list(r.c)
        self._run_cols = [c.name for c in cols]
        self._run_json = {c.name for c in cols if isinstance(c.type, sa.JSON)}
        self._run_json_at = [i for i, c in enumerate(cols) if isinstance(c.type, sa.JSON)]
        self._parallel_at = self._run_cols.index("parallel")
        self._status_at = self._run_cols.index("status")
        self._raw_get_run = f"SELECT {', '.join(self._run_cols)} FROM {r.name} WHERE run_id = ?"
        self._raw_updates: dict[tuple[str, ...], str] = {}

        # The same for the step row and the queue item every step writes, moves and
        # deletes (the parameters in the order of the columns named here).
        def insert(table: sa.Table, *cols: str) -> str:
            marks = ", ".join("?" * len(cols))
            return f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({marks})"

        self._raw_insert_step = insert(
            schema.steps, "run_id", "step_id", "name", "op", "attempt", "started_at", "ended_at",
            "output", "error",
        )  # fmt: skip
        self._raw_insert_item = insert(
            q, "run_id", "fn_id", "kind", "step_id", "due_at", "concurrency", "lease_owner",
            "lease_until",
        )  # fmt: skip
        self._raw_retarget_item = (
            f"UPDATE {q.name} SET kind = '{QueueKind.CALL.value}', step_id = ?, due_at = ?,"
            " lease_until = ?, concurrency = ? WHERE id = ?"
        )
        self._raw_delete_item = f"DELETE FROM {q.name} WHERE id = ? AND run_id = ?"
        # Each ingested event and each run started or ended (its items deleted).
        self._raw_insert_run = insert(r, *self._run_cols)
        self._raw_insert_event = (
            insert(schema.events, "internal_id", "id", "name", "data", "ts", "received_at")
            + " ON CONFLICT (id) DO NOTHING RETURNING internal_id"
        )
        wait_cols = ", ".join(Wait.__match_args__)
        self._raw_waits_for = f"SELECT {wait_cols} FROM {schema.waits.name} WHERE event_name = ?"
        # A lease on the item as read (see _lease), and its release.
        self._raw_lease = (
            f"UPDATE {q.name} SET lease_owner = ?, lease_until = ? WHERE id = ?"
            " AND (lease_until IS NULL OR lease_until < ?) AND run_id = ? AND kind = ?"
            " AND step_id IS ? AND due_at = ?"
        )
        self._raw_unlease = (
            f"UPDATE {q.name} SET lease_owner = NULL, lease_until = NULL WHERE id = ?"
        )
        # The dispatcher's reads of due items (every pass): parameters now, now, limit.
        item_cols = ", ".join(DueItem.__match_args__)
        due_sql = (
            f"SELECT {item_cols} FROM {q.name} WHERE due_at <= ?"
            " AND (lease_until IS NULL OR lease_until < ?){} ORDER BY due_at, id LIMIT ?"
        )
        timer_kinds = ", ".join(f"'{k.value}'" for k in TIMER_KINDS)
        self._raw_candidates = due_sql.format("")
        self._raw_candidates_unlimited = due_sql.format(" AND concurrency = '[]'")
        self._raw_due_timers = due_sql.format(f" AND kind IN ({timer_kinds})")

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """A write transaction. On SQLite it holds the database's write lock from its
        first statement (BEGIN IMMEDIATE): the driver would begin only at the first
        write, so a run read first (``read_run(lock=True)``) could be changed by
        another engine process before this transaction wrote it back over the change."""
        with self.sql.begin() as conn:
            if not self.postgres:
                raw = conn.connection.driver_connection
                assert raw is not None
                begin_immediate(raw)
            yield conn

    def dispose(self) -> None:
        self.sql.dispose()

    # -- functions -------------------------------------------------------------------
    def replace_app(
        self, conn: Connection, url: str, app_id: str, fns: list[dict[str, Any]], now: float
    ) -> None:
        ins = self._insert(schema.apps).values(url=url, app_id=app_id, synced_at=now)
        conn.execute(
            ins.on_conflict_do_update(
                index_elements=["url"], set_={"app_id": app_id, "synced_at": now}
            )
        )
        conn.execute(sa.delete(schema.functions).where(schema.functions.c.app_url == url))
        for f in fns:
            conn.execute(sa.delete(schema.functions).where(schema.functions.c.id == f["id"]))
            conn.execute(
                sa.insert(schema.functions).values(
                    id=f["id"], app_url=url, name=f.get("name") or f["id"], config=f, updated_at=now
                )
            )

    def load_functions(self) -> list[dict[str, Any]]:
        with self.sql.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(schema.functions))]

    # -- events ----------------------------------------------------------------------
    def insert_event(self, conn: Connection, ev: dict[str, Any], now: float) -> tuple[str, bool]:
        """Store an event; a repeated ``id`` is the same event (returns its id, False)
        and is recorded as one more reception of it."""
        internal = new_id()
        values = {
            "internal_id": internal,
            "id": ev["id"],
            "name": ev["name"],
            "data": ev["data"],
            "ts": ev["ts"],
            "received_at": now,
        }
        # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT.
        if self._raw_runs:
            row = (internal, ev["id"], ev["name"], json.dumps(ev["data"]), ev["ts"], now)
            fresh = self._raw(conn, self._raw_insert_event, row).fetchone() is not None
        else:
            fresh = conn.execute(self._insert_event, values).first() is not None
        if fresh:
            return internal, True
        existing = conn.execute(
            sa.select(schema.events.c.internal_id).where(schema.events.c.id == ev["id"])
        ).scalar_one()
        conn.execute(sa.insert(schema.event_receipts).values(internal_id=existing, received_at=now))
        return str(existing), False

    # -- runs ------------------------------------------------------------------------
    def insert_run(self, conn: Connection, run: LiveRun) -> None:
        if self._raw_runs:
            json_cols = self._run_json
            row = [
                json.dumps(v) if n in json_cols else v
                for n, v in ((n, getattr(run, n)) for n in self._run_cols)
            ]
            self._raw(conn, self._raw_insert_run, tuple(row))
            return
        conn.execute(self._insert_run, {name: getattr(run, name) for name in self._run_cols})

    def read_run(self, conn: Connection, run_id: str, lock: bool = False) -> LiveRun | None:
        """A run's whole state in the caller's transaction (``lock``: FOR UPDATE on
        Postgres; SQLite's writer lock is the transaction's)."""
        if self._raw_runs:
            found = self._raw(conn, self._raw_get_run, (run_id,)).fetchone()
            if found is None:
                return None
            values = list(found)
            for i in self._run_json_at:
                if values[i] is not None:
                    values[i] = _json_column(values[i])
            values[self._parallel_at] = bool(values[self._parallel_at])
            values[self._status_at] = _STATUS[values[self._status_at]]
            return LiveRun(*values)
        q = self._get_run_locked if lock and self.postgres else self._get_run
        row = conn.execute(q, {"b_run_id": run_id}).first()
        return None if row is None else self._live_run(row)

    def _live_run(self, row: Any) -> LiveRun:
        """A run from a row SQLAlchemy read (JSON decoded already)."""
        values = list(row)
        values[self._status_at] = _STATUS[values[self._status_at]]
        return LiveRun(*values)

    def load_run(self, run_id: str) -> LiveRun | None:
        """A run's whole state (memo, stack, events) outside any transaction."""
        with self.sql.connect() as conn:
            return self.read_run(conn, run_id)

    def mark_running(self, conn: Connection, run_id: str, started_at: float) -> None:
        """A queued run's first call returned."""
        self._update_run(conn, run_id, {"status": RunStatus.RUNNING, "started_at": started_at})

    def save_progress(self, conn: Connection, run: LiveRun) -> None:
        """Write a run's memo: steps, stack, steps in flight, attempt, fan-out."""
        values: dict[str, Any] = {"steps": run.steps, "stack": run.stack, "pending": run.pending}
        values |= {"attempt": run.attempt, "parallel": run.parallel}
        self._update_run(conn, run.run_id, values)

    def set_attempt(self, conn: Connection, run_id: str, attempt: int) -> None:
        """A failed call is retried as attempt ``attempt``."""
        self._update_run(conn, run_id, {"attempt": attempt})

    def finish_run(
        self,
        conn: Connection,
        run_id: str,
        status: RunStatus,
        ended_at: float,
        output: Any,
        error: dict[str, Any] | None,
    ) -> None:
        """The run's last call returned: its output, or the error it failed with."""
        values = {"status": status, "output": output, "error": error, "ended_at": ended_at}
        self._update_run(conn, run_id, values)

    def end_run(
        self,
        conn: Connection,
        run_id: str,
        status: RunStatus,
        ended_at: float,
        error: dict[str, Any],
    ) -> None:
        """The run ends without running on (cancelled, skipped): ``error`` says why."""
        self._update_run(conn, run_id, {"status": status, "ended_at": ended_at, "error": error})

    def _update_run(self, conn: Connection, run_id: str, values: dict[str, Any]) -> None:
        if self._raw_runs:
            names = tuple(values)
            sql = self._raw_updates.get(names)
            if sql is None:
                unknown = set(names) - set(self._run_cols)
                if unknown:
                    raise ValueError(f"not columns of {schema.runs.name}: {sorted(unknown)}")
                sets = ", ".join(f"{n} = ?" for n in names)
                sql = f"UPDATE {schema.runs.name} SET {sets} WHERE run_id = ?"
                self._raw_updates[names] = sql
            params = [json.dumps(v) if n in self._run_json else v for n, v in values.items()]
            self._raw(conn, sql, (*params, run_id))
            return
        conn.execute(self._update_run_stmt, {"b_run_id": run_id, **values})

    @staticmethod
    def _raw(conn: Connection, sql: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
        """Run a statement prepared in ``_prepare`` on SQLite's own connection, in the
        caller's transaction (the values already as SQLAlchemy would bind them)."""
        raw = conn.connection.driver_connection
        assert raw is not None
        cursor: sqlite3.Cursor = raw.execute(sql, params)
        return cursor

    def active_runs(self, conn: Connection, fn_id: str) -> list[LiveRun]:
        q = sa.select(schema.runs).where(
            schema.runs.c.fn_id == fn_id, schema.runs.c.status.not_in([s.value for s in TERMINAL])
        )
        return [self._live_run(r) for r in conn.execute(q)]

    def add_step(
        self,
        conn: Connection,
        *,
        run_id: str,
        step_id: str,
        name: str,
        op: str,
        attempt: int,
        started_at: float,
        ended_at: float,
        output: Any = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """Record one step attempt (``StepRecord`` reads it back)."""
        if self._raw_runs:
            row = (run_id, step_id, name, op, attempt, started_at, ended_at)
            self._raw(conn, self._raw_insert_step, (*row, json.dumps(output), json.dumps(error)))
            return
        values: dict[str, Any] = {"run_id": run_id, "step_id": step_id, "name": name, "op": op}
        values |= {"attempt": attempt, "started_at": started_at, "ended_at": ended_at}
        values |= {"output": output, "error": error}
        conn.execute(self._insert_step, values)

    # -- queue -----------------------------------------------------------------------
    def enqueue(
        self,
        conn: Connection,
        run_id: str,
        fn_id: str,
        kind: QueueKind,
        due_at: float,
        step_id: str | None = None,
        concurrency: Slots | None = None,
        lease: tuple[str, float] | None = None,
    ) -> int:
        """Queue an item (already leased to ``lease = (owner, until)`` if given)."""
        owner, until = lease or (None, None)
        if self._raw_runs:
            slots = json.dumps(concurrency or [])
            row = (run_id, fn_id, kind.value, step_id, due_at, slots, owner, until)
            return self._raw(conn, self._raw_insert_item, row).lastrowid or 0
        res = conn.execute(
            self._insert_item,
            {
                "run_id": run_id,
                "fn_id": fn_id,
                "kind": kind.value,
                "step_id": step_id,
                "due_at": due_at,
                "concurrency": concurrency or [],
                "lease_owner": owner,
                "lease_until": until,
            },
        )
        key = res.inserted_primary_key
        return int(key[0]) if key else 0

    def retarget_item(
        self,
        conn: Connection,
        item_id: int,
        step_id: str | None,
        due_at: float,
        until: float,
        slots: Slots,
    ) -> None:
        """Point a leased item (a call, or a timer that just fired) at the run's next
        call, keeping (and extending) the lease: the holder goes on with it without a
        trip through the queue."""
        if self._raw_runs:
            row = (step_id, due_at, until, json.dumps(slots), item_id)
            self._raw(conn, self._raw_retarget_item, row)
            return
        conn.execute(
            self._retarget_item,
            {
                "b_id": item_id,
                "b_step_id": step_id,
                "b_due": due_at,
                "b_until": until,
                "b_slots": slots,
            },
        )

    def candidates(
        self, now: float, limit: int = 64, unlimited_only: bool = False
    ) -> list[DueItem]:
        """Due items nobody holds, in due order (only those without concurrency slots
        for a process that leaves limited calls to the main one)."""
        if unlimited_only:
            return self._due(self._candidates_unlimited, self._raw_candidates_unlimited, now, limit)
        return self._due(self._candidates, self._raw_candidates, now, limit)

    def due_timers(self, now: float, limit: int) -> list[DueItem]:
        """Due timers nobody holds (sleeps ending, timeouts), in due order."""
        return self._due(self._due_timers, self._raw_due_timers, now, limit)

    def _due(self, q: Any, raw: str, now: float, limit: int) -> list[DueItem]:
        with self.sql.connect() as conn:
            if self._raw_runs:  # SQLite: the driver itself, its JSON decoded here
                found = self._raw(conn, raw, (now, now, limit)).fetchall()
                return [
                    DueItem(i, r, f, _KIND[k], s, d, u, json.loads(c))
                    for i, r, f, k, s, d, u, c in found
                ]
            rows = conn.execute(q, {"b_now": now, "b_limit": limit})
            return [DueItem(i, r, f, _KIND[k], s, d, u, c) for i, r, f, k, s, d, u, c in rows]

    def unlease_in(self, conn: Connection, item_id: int) -> None:
        """Hand an item back to the shared queue inside the caller's transaction."""
        if self._raw_runs:
            self._raw(conn, self._raw_unlease, (item_id,))
            return
        conn.execute(self._unlease, {"b_id": item_id})

    def busy_count(self, horizon: float) -> int:
        """Queue items due before ``horizon``."""
        with self.sql.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(schema.queue)
                    .where(schema.queue.c.due_at <= horizon)
                ).scalar()
                or 0
            )

    def next_due(self, now: float) -> float | None:
        """When the earliest item nobody holds is due (the dispatcher sleeps until then)."""
        with self.sql.connect() as conn:
            due = conn.execute(self._next_due, {"b_now": now}).scalar()
            return None if due is None else float(due)

    def lease(
        self, item: DueItem, owner: str, now: float, until: float
    ) -> tuple[bool, LiveRun | None]:
        """Take an item (a row as read from the queue) if nobody holds a live lease on
        it and it is still what was read (atomic conditional update); returns whether
        we got it and, in the same transaction, its run."""
        with self.tx() as conn:
            if not self.lease_in(conn, item, owner, now, until):
                return False, None
            return True, self.read_run(conn, item.run_id)

    def lease_group(
        self, items: list[DueItem], owner: str, now: float, until: float
    ) -> list[LiveRun | None]:
        """``lease`` for several items in one transaction: per item its run, or None
        where another process holds it (or has changed it)."""
        with self.tx() as conn:
            return [
                self.read_run(conn, it.run_id)
                if self.lease_in(conn, it, owner, now, until)
                else None
                for it in items
            ]

    def lease_in(
        self, conn: Connection, item: DueItem, owner: str, now: float, until: float
    ) -> bool:
        """``lease`` inside the caller's transaction (a group of items leased together).
        The row must still be the item read: same run, kind, step and due time (a timer
        another process fired and re-targeted at the run's next call is not leased)."""
        item_id = item.id
        if self._raw_runs:
            row = (owner, until, item_id, now, item.run_id, item.kind.value, item.step_id)
            return self._raw(conn, self._raw_lease, (*row, item.due_at)).rowcount == 1
        if self.postgres and conn.execute(self._lock_item, {"b_id": item_id}).first() is None:
            return False
        res = conn.execute(
            self._lease,
            {
                "b_id": item_id,
                "b_run_id": item.run_id,
                "b_kind": item.kind.value,
                "b_step_id": item.step_id,
                "b_due": item.due_at,
                "b_now": now,
                "b_owner": owner,
                "b_until": until,
            },
        )
        return res.rowcount == 1

    def release_leases(self, owner: str) -> None:
        """Hand back everything ``owner`` holds (a stopping engine)."""
        q = schema.queue
        with self.tx() as conn:
            conn.execute(
                sa.update(q)
                .where(q.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def renew_leases(self, owner: str, item_ids: list[int], until: float) -> None:
        """Extend to ``until`` the leases ``owner`` still holds on these items (calls in
        flight: a call longer than its lease is not taken again)."""
        if not item_ids:
            return
        q = schema.queue
        with self.tx() as conn:
            conn.execute(
                sa.update(q)
                .where(q.c.lease_owner == owner, q.c.id.in_(item_ids))
                .values(lease_until=until)
            )

    # -- work sharing between engine processes (see Dispatcher._share) ----------------
    def held_by_others(self, owner: str, now: float) -> int:
        """Due items other processes hold: calls in flight there, and their runs' next
        calls waiting there for a worker."""
        q = schema.queue
        with self.sql.connect() as conn:
            found = conn.execute(
                sa.select(sa.func.count())
                .select_from(q)
                .where(q.c.due_at <= now, q.c.lease_until >= now, q.c.lease_owner != owner)
            ).scalar()
        return int(found or 0)

    def ask_for_work(self, owner: str, until: float) -> None:
        """Say, until ``until``, that ``owner`` has free workers and nothing to take."""
        with self.tx() as conn:
            self.flow_put(conn, f"{_ASKS}{owner}", {}, until)

    def asking_for_work(self, owner: str, now: float) -> list[str]:
        """The requests of the other processes asking for work now (flow keys)."""
        f = schema.flow
        with self.sql.connect() as conn:
            rows = conn.execute(
                sa.select(f.c.key).where(
                    f.c.key.startswith(_ASKS), f.c.key != f"{_ASKS}{owner}", f.c.expires_at > now
                )
            )
            return [r[0] for r in rows]

    def hand_over(self, owner: str, item_ids: list[int], asks: list[str]) -> None:
        """Put back in the shared queue items ``owner`` holds, and take the requests
        they answer (a process still idle asks again)."""
        q, f = schema.queue, schema.flow
        with self.tx() as conn:
            conn.execute(
                sa.update(q)
                .where(q.c.id.in_(item_ids), q.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )
            conn.execute(sa.delete(f).where(f.c.key.in_(asks)))

    def release_item(self, item_id: int, owner: str | None = None) -> None:
        """Hand an item back to the shared queue; with ``owner``, only while that owner
        still holds it (a held item's row may have been deleted and its id reused)."""
        with self.tx() as conn:
            if owner is None:
                self.unlease_in(conn, item_id)
            else:
                conn.execute(self._unlease_owned, {"b_id": item_id, "b_owner": owner})

    def delete_item(self, conn: Connection, item: DueItem) -> None:
        """Delete a handled item. By id and run: on SQLite a row deleted in the same
        transaction (a finished run's items) frees its id for the next insert, which
        may be another run's new call (a parent's, when a child finishes)."""
        if self._raw_runs:
            self._raw(conn, self._raw_delete_item, (item.id, item.run_id))
            return
        conn.execute(self._delete_item, {"b_id": item.id, "b_run_id": item.run_id})

    def delete_run_items(
        self,
        conn: Connection,
        run_id: str,
        kinds: list[QueueKind] | None = None,
        step_id: str | None = None,
    ) -> None:
        if self._raw_runs:
            sql = f"DELETE FROM {schema.queue.name} WHERE run_id = ?"
            params: list[Any] = [run_id]
            if kinds:
                sql += f" AND kind IN ({', '.join('?' * len(kinds))})"
                params += [k.value for k in kinds]
            if step_id:
                sql += " AND step_id = ?"
                params.append(step_id)
            self._raw(conn, sql, tuple(params))
            return
        q = sa.delete(schema.queue).where(schema.queue.c.run_id == run_id)
        if kinds:
            q = q.where(schema.queue.c.kind.in_([k.value for k in kinds]))
        if step_id:
            q = q.where(schema.queue.c.step_id == step_id)
        conn.execute(q)

    # -- waits -----------------------------------------------------------------------
    def add_wait(self, conn: Connection, wait: Wait) -> None:
        values = {name: getattr(wait, name) for name in Wait.__match_args__}
        conn.execute(sa.insert(schema.waits).values(**values))

    def waits_for(self, conn: Connection, name: str) -> list[Wait]:
        """The waits for events named ``name``."""
        if self._raw_runs:
            found = self._raw(conn, self._raw_waits_for, (name,)).fetchall()
            return [Wait(r, s, n, x, e) for r, s, n, x, e in found]
        rows = conn.execute(self._waits_for, {"b_name": name})
        return [Wait(r, s, n, x, e) for r, s, n, x, e in rows]

    def take_wait(self, conn: Connection, run_id: str, step_id: str) -> bool:
        res = conn.execute(
            sa.delete(schema.waits).where(
                schema.waits.c.run_id == run_id, schema.waits.c.step_id == step_id
            )
        )
        return res.rowcount == 1

    def delete_waits(self, conn: Connection, run_id: str) -> None:
        conn.execute(sa.delete(schema.waits).where(schema.waits.c.run_id == run_id))

    # -- flow state (throttle, cron, idempotency, batches) ---------------------------
    def flow_get(self, conn: Connection, key: str, lock: bool = False) -> Any:
        q = sa.select(schema.flow.c.value).where(schema.flow.c.key == key)
        if lock and self.postgres:
            q = q.with_for_update()
        return conn.execute(q).scalar()

    def flow_put(
        self, conn: Connection, key: str, value: Any, expires_at: float | None = None
    ) -> None:
        stmt = self._insert(schema.flow).values(key=key, value=value, expires_at=expires_at)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["key"], set_={"value": value, "expires_at": expires_at}
            )
        )

    def flow_delete(self, conn: Connection, key: str) -> None:
        conn.execute(sa.delete(schema.flow).where(schema.flow.c.key == key))

    def flow_prefix(self, conn: Connection, prefix: str) -> list[tuple[str, Any]]:
        q = sa.select(schema.flow.c.key, schema.flow.c.value).where(
            schema.flow.c.key.startswith(prefix)
        )
        return [(r[0], r[1]) for r in conn.execute(q)]

    def _insert(self, table: sa.Table) -> Any:
        from sqlalchemy.dialects import postgresql, sqlite

        return (postgresql.insert if self.postgres else sqlite.insert)(table)

    def prune(self, before: float, batch: int = 1000, max_batches: int = 100) -> int:
        """Delete finished runs (and their steps) older than ``before``, in bounded
        batches; then events no run points at and expired flow keys."""
        r = schema.runs
        total = 0
        for _ in range(max_batches):
            with self.tx() as conn:
                ids = list(
                    conn.execute(
                        sa.select(r.c.run_id)
                        .where(r.c.status.in_([s.value for s in TERMINAL]), r.c.ended_at < before)
                        .limit(batch)
                    ).scalars()
                )
                if ids:
                    conn.execute(sa.delete(schema.steps).where(schema.steps.c.run_id.in_(ids)))
                    conn.execute(sa.delete(r).where(r.c.run_id.in_(ids)))
            total += len(ids)
            if len(ids) < batch:
                break
        with self.tx() as conn:
            conn.execute(
                sa.delete(schema.events).where(
                    schema.events.c.received_at < before,
                    ~sa.exists().where(r.c.event_id == schema.events.c.internal_id),
                )
            )
            receipts = schema.event_receipts
            conn.execute(sa.delete(receipts).where(receipts.c.received_at < before))
            conn.execute(sa.delete(schema.flow).where(schema.flow.c.expires_at < before))
        return total


__all__ = ["SystemDatabase", "new_id"]
