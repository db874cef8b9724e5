"""The system database's read side: run lists with keyset pagination, one run with
its timeline, events with their runs, function and queue figures, as typed records."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import sqlalchemy as sa

from harvester.engine import schema
from harvester.engine.config import RunStatus
from harvester.engine.records import (
    EventRecord,
    EventRun,
    FunctionBucket,
    QueueItem,
    QueueKind,
    QueueStats,
    RunPage,
    RunRecord,
    RunSummary,
    StepRecord,
)

R, S, E, Q = schema.runs, schema.steps, schema.events, schema.queue
SHARED_RUNS_SCAN = 2000  # runs started after an event that may hold it with others
SERIES_SCAN = 50_000  # finished runs one function series reads at most


def _summary_fields(d: Any) -> dict[str, Any]:
    ended, started = d.get("ended_at"), d.get("started_at") or d.get("created_at")
    return {
        "run_id": d["run_id"],
        "fn_id": d["fn_id"],
        "status": RunStatus(d["status"]),
        "event_name": (d["events"] or [{}])[0].get("name"),
        "created_at": d["created_at"],
        "started_at": d.get("started_at"),
        "ended_at": ended,
        "duration": (ended - started) if ended and started else None,
        "attempt": d["attempt"],
    }


def _summary(row: Any) -> RunSummary:
    return RunSummary(**_summary_fields(row._mapping))


# The columns the dashboard may sort runs and events by (never text into SQL).
RUN_SORTS: dict[str, Any] = {
    "created": R.c.created_at,
    "run": R.c.run_id,
    "function": R.c.fn_id,
    "status": R.c.status,
    "duration": R.c.ended_at - sa.func.coalesce(R.c.started_at, R.c.created_at),
    "attempt": R.c.attempt,
}
EVENT_SORTS: dict[str, Any] = {"received": E.c.received_at, "name": E.c.name}
_RUN_COLUMNS = (
    R.c.run_id,
    R.c.fn_id,
    R.c.status,
    R.c.events,
    R.c.created_at,
    R.c.started_at,
    R.c.ended_at,
    R.c.attempt,
)


def _ordered(stmt: Any, columns: dict[str, Any], key: str, descending: bool, tie: Any) -> Any:
    """``stmt`` by ``columns[key]``, then ``tie``, both one way; unknowns last."""
    if key not in columns:
        raise ValueError(f"sort {key!r} is not one of {', '.join(columns)}")
    col = columns[key]
    first = (col.desc() if descending else col.asc()).nulls_last()
    return stmt.order_by(first, tie.desc() if descending else tie.asc())


def _run_filter(
    stmt: Any, fn: str | None, status: str | None, since: float | None, until: float | None
) -> Any:
    if fn:
        stmt = stmt.where(R.c.fn_id == fn)
    if status:
        stmt = stmt.where(R.c.status == status.upper())
    if since is not None:
        stmt = stmt.where(R.c.created_at >= since)
    if until is not None:
        stmt = stmt.where(R.c.created_at < until)
    return stmt


def _triggered_runs(conn: Any, events: Any) -> dict[str, list[EventRun]]:
    """The runs that name each of these event rows as their trigger, by event id."""
    ids = [r.internal_id for r in events]
    by_event: dict[str, list[EventRun]] = {}
    if not ids:
        return by_event
    runs = conn.execute(
        sa.select(R.c.event_id, R.c.run_id, R.c.fn_id, R.c.status).where(R.c.event_id.in_(ids))
    ).all()
    for ev_id, run_id, fn_id, status in runs:
        by_event.setdefault(ev_id, []).append(EventRun(run_id, fn_id, RunStatus(status)))
    return by_event


class RunHistory:
    """Reads over the run history (the dashboard's, the API's, the CLI's), on their own
    connections of ``sql``; the write path never goes through here."""

    __slots__ = ("sql",)

    def __init__(self, sql: sa.Engine) -> None:
        self.sql = sql

    def runs_page(
        self,
        *,
        fn: str | None = None,
        status: str | None = None,
        since: float | None = None,
        until: float | None = None,
        sort: str = "created",
        descending: bool = True,
        offset: int = 0,
        limit: int = 50,
    ) -> list[RunSummary]:
        """Runs in ``sort`` order (a key of ``RUN_SORTS``; the run id breaks ties)."""
        stmt = _run_filter(sa.select(*_RUN_COLUMNS), fn, status, since, until)
        stmt = _ordered(stmt, RUN_SORTS, sort, descending, R.c.run_id)
        with self.sql.connect() as conn:
            return [_summary(r) for r in conn.execute(stmt.offset(offset).limit(limit))]

    def count_runs(
        self,
        *,
        fn: str | None = None,
        status: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> int:
        """How many runs ``runs_page`` lists over all its pages."""
        stmt = _run_filter(sa.select(sa.func.count()).select_from(R), fn, status, since, until)
        with self.sql.connect() as conn:
            return int(conn.execute(stmt).scalar() or 0)

    def events_page(
        self,
        *,
        name: str | None = None,
        sort: str = "received",
        descending: bool = True,
        offset: int = 0,
        limit: int = 50,
    ) -> list[EventRecord]:
        """Events in ``sort`` order (a key of ``EVENT_SORTS``), each with the runs that
        name it as their trigger (runs that took it in a batch: ``event_runs``)."""
        stmt = sa.select(E)
        if name:
            stmt = stmt.where(E.c.name == name)
        stmt = _ordered(stmt, EVENT_SORTS, sort, descending, E.c.internal_id)
        with self.sql.connect() as conn:
            rows = conn.execute(stmt.offset(offset).limit(limit)).all()
            by_event = _triggered_runs(conn, rows)
        return [EventRecord(**dict(r._mapping), runs=by_event.get(r.internal_id, [])) for r in rows]

    def count_events(self, *, name: str | None = None) -> int:
        """How many events ``events_page`` lists over all its pages."""
        stmt = sa.select(sa.func.count()).select_from(E)
        if name:
            stmt = stmt.where(E.c.name == name)
        with self.sql.connect() as conn:
            return int(conn.execute(stmt).scalar() or 0)

    def list_runs(
        self,
        *,
        fn: str | None = None,
        status: str | None = None,
        since: float | None = None,
        until: float | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> RunPage:
        """Newest first; ``cursor`` is the last run id of the previous page."""
        q = _run_filter(sa.select(R), fn, status, since, until)
        with self.sql.connect() as conn:
            if cursor:
                anchor = conn.execute(
                    sa.select(R.c.created_at).where(R.c.run_id == cursor)
                ).scalar()
                if anchor is not None:
                    q = q.where(
                        sa.or_(
                            R.c.created_at < anchor,
                            sa.and_(R.c.created_at == anchor, R.c.run_id < cursor),
                        )
                    )
            rows = conn.execute(
                q.order_by(R.c.created_at.desc(), R.c.run_id.desc()).limit(limit + 1)
            ).all()
        items = [_summary(r) for r in rows[:limit]]
        return RunPage(data=items, next_cursor=items[-1].run_id if len(rows) > limit else None)

    def run_detail(self, run_id: str) -> RunRecord | None:
        """One run with its event(s) and step timeline, or None."""
        with self.sql.connect() as conn:
            row = conn.execute(sa.select(R).where(R.c.run_id == run_id)).first()
            if row is None:
                return None
            steps = conn.execute(sa.select(S).where(S.c.run_id == run_id).order_by(S.c.id)).all()
        d = row._mapping
        return RunRecord(
            **_summary_fields(d),
            event=(d["events"] or [None])[0],
            events=d["events"],
            output=d["output"],
            error=d["error"],
            parent=d["parent"],
            steps=[
                StepRecord(**dict(s._mapping), duration=s.ended_at - s.started_at) for s in steps
            ],
        )

    def function_stats(self) -> dict[str, dict[str, int]]:
        """Run counts by function, then by status."""
        with self.sql.connect() as conn:
            rows = conn.execute(
                sa.select(R.c.fn_id, R.c.status, sa.func.count()).group_by(R.c.fn_id, R.c.status)
            ).all()
        out: dict[str, dict[str, int]] = {}
        for fn_id, status, n in rows:
            out.setdefault(fn_id, {})[status] = n
        return out

    def list_events(
        self, *, name: str | None = None, limit: int = 50, cursor: float | None = None
    ) -> list[EventRecord]:
        """Newest first; ``cursor`` is the ``received_at`` of the previous page's last."""
        q = sa.select(E)
        if name:
            q = q.where(E.c.name == name)
        if cursor is not None:
            q = q.where(E.c.received_at < cursor)
        with self.sql.connect() as conn:
            rows = conn.execute(q.order_by(E.c.received_at.desc()).limit(limit)).all()
            by_event = _triggered_runs(conn, rows)
        lonely = {r.id: r.internal_id for r in rows if r.internal_id not in by_event}
        if lonely:
            self._batched_runs(min(r.received_at for r in rows), lonely, by_event)
        return [EventRecord(**dict(r._mapping), runs=by_event.get(r.internal_id, [])) for r in rows]

    def _batched_runs(
        self, since: float, lonely: dict[str, str], by_event: dict[str, list[EventRun]]
    ) -> None:
        """Runs that took events of ``lonely`` (event id → internal id) in a batch or a
        debounce: they record no single trigger, so they are found by the events they hold."""
        q = (
            sa.select(R.c.run_id, R.c.fn_id, R.c.status, R.c.events)
            .where(R.c.event_id.is_(None), R.c.created_at >= since)
            .order_by(R.c.created_at)
            .limit(SHARED_RUNS_SCAN)
        )
        with self.sql.connect() as conn:
            for run_id, fn_id, status, taken in conn.execute(q):
                for ev in taken or []:
                    internal = lonely.get(ev.get("id"))
                    if internal is not None:
                        run = EventRun(run_id, fn_id, RunStatus(status))
                        by_event.setdefault(internal, []).append(run)

    def run_ids_with_prefix(self, prefix: str, limit: int) -> tuple[list[str], bool]:
        """Up to ``limit`` run ids starting with ``prefix`` (newest first), and whether
        more do: short ids resolve like git's."""
        q = (
            sa.select(R.c.run_id)
            .where(R.c.run_id.startswith(prefix, autoescape=True))
            .order_by(R.c.run_id.desc())
            .limit(limit + 1)
        )
        with self.sql.connect() as conn:
            ids = [str(r[0]) for r in conn.execute(q)]
        return ids[:limit], len(ids) > limit

    def run_counts(self, since: float) -> dict[str, dict[str, int]]:
        """Runs created at or after ``since``, counted by function, then status."""
        q = (
            sa.select(R.c.fn_id, R.c.status, sa.func.count())
            .where(R.c.created_at >= since)
            .group_by(R.c.fn_id, R.c.status)
        )
        out: dict[str, dict[str, int]] = {}
        with self.sql.connect() as conn:
            for fn_id, status, n in conn.execute(q):
                out.setdefault(fn_id, {})[status] = int(n)
        return out

    def function_series(
        self, fn_id: str, since: float, until: float, bucket: float
    ) -> list[FunctionBucket]:
        """``fn_id``'s runs that ended in [since, until), in buckets ``bucket`` seconds
        wide (every bucket present, empty ones too), oldest first."""
        q = (
            sa.select(R.c.status, R.c.created_at, R.c.started_at, R.c.ended_at)
            .where(R.c.fn_id == fn_id, R.c.ended_at >= since, R.c.ended_at < until)
            .order_by(R.c.ended_at.desc())
            .limit(SERIES_SCAN)
        )
        n = max(1, int((until - since) // bucket) + (1 if (until - since) % bucket else 0))
        rows: list[list[Any]] = [[] for _ in range(n)]
        with self.sql.connect() as conn:
            for r in conn.execute(q):
                rows[min(n - 1, int((r.ended_at - since) // bucket))].append(r)
        return [_bucket(since + i * bucket, b) for i, b in enumerate(rows)]

    def get_event(self, internal_id: str) -> EventRecord | None:
        """One stored event (by the id ``send`` returned), without its runs."""
        with self.sql.connect() as conn:
            row = conn.execute(sa.select(E).where(E.c.internal_id == internal_id)).first()
        return EventRecord(**dict(row._mapping)) if row else None

    def event_runs(self, internal_id: str) -> list[RunSummary]:
        """The runs an event started: its own runs, and the runs that took it together
        with other events (a batch, a debounce), which record no single trigger."""
        with self.sql.connect() as conn:
            rows = list(conn.execute(sa.select(R).where(R.c.event_id == internal_id)))
            ev = conn.execute(
                sa.select(E.c.id, E.c.received_at).where(E.c.internal_id == internal_id)
            ).first()
            if ev is not None:
                later = conn.execute(
                    sa.select(R)
                    .where(R.c.event_id.is_(None), R.c.created_at >= ev.received_at)
                    .order_by(R.c.created_at)
                    .limit(SHARED_RUNS_SCAN)
                )
                rows += [r for r in later if any(e.get("id") == ev.id for e in r.events or [])]
        return [_summary(r) for r in rows]

    def queue_stats(self, now: float) -> QueueStats:
        """Items due now, all items, and how late the oldest call is."""
        with self.sql.connect() as conn:
            due = conn.execute(
                sa.select(sa.func.count()).select_from(Q).where(Q.c.due_at <= now)
            ).scalar()
            total = conn.execute(sa.select(sa.func.count()).select_from(Q)).scalar()
            oldest = conn.execute(
                sa.select(sa.func.min(Q.c.due_at)).where(Q.c.kind == QueueKind.CALL.value)
            ).scalar()
        return QueueStats(
            due=int(due or 0),
            queued=int(total or 0),
            lag_seconds=max(0.0, now - oldest) if oldest else 0.0,
        )

    def list_queue(self, kind: QueueKind | None = None, limit: int = 10_000) -> list[QueueItem]:
        """Queued items in due order (the order the dispatcher takes them)."""
        q = sa.select(Q).order_by(Q.c.due_at, Q.c.id).limit(limit)
        if kind is not None:
            q = q.where(Q.c.kind == kind.value)
        with self.sql.connect() as conn:
            rows = conn.execute(q).all()
        return [
            QueueItem(
                id=r.id,
                run_id=r.run_id,
                fn_id=r.fn_id,
                kind=QueueKind(r.kind),
                step_id=r.step_id,
                due_at=r.due_at,
                leased=r.lease_owner is not None,
            )
            for r in rows
        ]


def _quantile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile by nearest rank (None when there are no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _bucket(start: float, rows: list[Any]) -> FunctionBucket:
    counts = Counter(r.status for r in rows)
    ran = [r.ended_at - (r.started_at or r.created_at) for r in rows]
    waited = [r.started_at - r.created_at for r in rows if r.started_at is not None]
    return FunctionBucket(
        start=start,
        completed=counts["COMPLETED"],
        failed=counts["FAILED"],
        cancelled=counts["CANCELLED"],
        p50_seconds=_quantile(ran, 0.5),
        p95_seconds=_quantile(ran, 0.95),
        queued_p95_seconds=_quantile(waited, 0.95),
    )
