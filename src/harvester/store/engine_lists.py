"""The runs and events lists of the dashboard, sorted and paged in SQL over the engine's
history tables (read only: the engine writes them and owns their schema; it pages its
own lists newest first by cursor, which cannot sort by a column or jump to a page).

The engine's tables may live in a database of their own: the functions take its URL
(``EngineConfig.database_url``) and read through one pooled connection per URL."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from harvester.engine import EventRecord, EventRun, RunStatus, RunSummary
from harvester.engine.schema import events as E
from harvester.engine.schema import runs as R
from harvester.store.db import make_engine
from harvester.store.list_order import order_by

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


@lru_cache(maxsize=8)
def _history(url: str) -> sa.Engine:
    return make_engine(url)


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


def _summary(row: Any) -> RunSummary:
    ended, started = row.ended_at, row.started_at or row.created_at
    return RunSummary(
        run_id=row.run_id,
        fn_id=row.fn_id,
        status=RunStatus(row.status),
        event_name=(row.events or [{}])[0].get("name"),
        created_at=row.created_at,
        started_at=row.started_at,
        ended_at=ended,
        duration=(ended - started) if ended and started else None,
        attempt=row.attempt,
    )


def runs_page(
    url: str,
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
    stmt = order_by(stmt, RUN_SORTS, sort, descending, R.c.run_id)
    with _history(url).connect() as conn:
        return [_summary(r) for r in conn.execute(stmt.offset(offset).limit(limit))]


def count_runs(
    url: str,
    *,
    fn: str | None = None,
    status: str | None = None,
    since: float | None = None,
    until: float | None = None,
) -> int:
    """How many runs ``runs_page`` would list over all its pages."""
    stmt = _run_filter(sa.select(sa.func.count()).select_from(R), fn, status, since, until)
    with _history(url).connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)


def events_page(
    url: str,
    *,
    name: str | None = None,
    sort: str = "received",
    descending: bool = True,
    offset: int = 0,
    limit: int = 50,
) -> list[EventRecord]:
    """Events in ``sort`` order (a key of ``EVENT_SORTS``), each with the runs that name
    it as their trigger (runs that took it in a batch are the caller's to add)."""
    stmt = sa.select(E)
    if name:
        stmt = stmt.where(E.c.name == name)
    stmt = order_by(stmt, EVENT_SORTS, sort, descending, E.c.internal_id)
    with _history(url).connect() as conn:
        rows = conn.execute(stmt.offset(offset).limit(limit)).all()
        ids = [r.internal_id for r in rows]
        runs = conn.execute(
            sa.select(R.c.event_id, R.c.run_id, R.c.fn_id, R.c.status).where(R.c.event_id.in_(ids))
        ).all()
    by_event: dict[str, list[EventRun]] = {}
    for ev_id, run_id, fn_id, status in runs:
        by_event.setdefault(ev_id, []).append(EventRun(run_id, fn_id, RunStatus(status)))
    return [EventRecord(**dict(r._mapping), runs=by_event.get(r.internal_id, [])) for r in rows]


def count_events(url: str, *, name: str | None = None) -> int:
    """How many events ``events_page`` would list over all its pages."""
    stmt = sa.select(sa.func.count()).select_from(E)
    if name:
        stmt = stmt.where(E.c.name == name)
    with _history(url).connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)
