"""Read side of the run history: lists with keyset pagination, one run with its
timeline, function stats. Used by the JSON API, the dev-server API and the dashboard."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from harvester.engine import schema
from harvester.engine.store import Store

R, S, E = schema.runs, schema.steps, schema.events


def _run_summary(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    ended, started = d.get("ended_at"), d.get("started_at") or d.get("created_at")
    return {
        "run_id": d["run_id"],
        "fn_id": d["fn_id"],
        "status": d["status"],
        "event_name": (d["events"] or [{}])[0].get("name"),
        "created_at": d["created_at"],
        "started_at": d.get("started_at"),
        "ended_at": ended,
        "duration": (ended - started) if ended and started else None,
        "attempt": d["attempt"],
    }


def list_runs(
    store: Store,
    *,
    fn: str | None = None,
    status: str | None = None,
    since: float | None = None,
    until: float | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """Newest first; ``cursor`` is the last run id of the previous page."""
    q = sa.select(R)
    if fn:
        q = q.where(R.c.fn_id == fn)
    if status:
        q = q.where(R.c.status == status.upper())
    if since is not None:
        q = q.where(R.c.created_at >= since)
    if until is not None:
        q = q.where(R.c.created_at < until)
    with store.engine.connect() as conn:
        if cursor:
            anchor = conn.execute(sa.select(R.c.created_at).where(R.c.run_id == cursor)).scalar()
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
    items = [_run_summary(r) for r in rows[:limit]]
    return {"data": items, "next_cursor": items[-1]["run_id"] if len(rows) > limit else None}


def run_detail(store: Store, run_id: str) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(R).where(R.c.run_id == run_id)).first()
        if row is None:
            return None
        steps = conn.execute(sa.select(S).where(S.c.run_id == run_id).order_by(S.c.id)).all()
    d = dict(row._mapping)
    return {
        **_run_summary(row),
        "event": (d["events"] or [None])[0],
        "events": d["events"],
        "output": d["output"],
        "error": d["error"],
        "parent": d["parent"],
        "steps": [{**dict(s._mapping), "duration": s.ended_at - s.started_at} for s in steps],
    }


def function_stats(store: Store) -> dict[str, dict[str, int]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(R.c.fn_id, R.c.status, sa.func.count()).group_by(R.c.fn_id, R.c.status)
        ).all()
    out: dict[str, dict[str, int]] = {}
    for fn_id, status, n in rows:
        out.setdefault(fn_id, {})[status] = n
    return out


def list_events(
    store: Store, *, name: str | None = None, limit: int = 50, cursor: float | None = None
) -> list[dict[str, Any]]:
    q = sa.select(E)
    if name:
        q = q.where(E.c.name == name)
    if cursor is not None:
        q = q.where(E.c.received_at < cursor)
    with store.engine.connect() as conn:
        rows = conn.execute(q.order_by(E.c.received_at.desc()).limit(limit)).all()
        ids = [r.internal_id for r in rows]
        runs = (
            conn.execute(
                sa.select(R.c.event_id, R.c.run_id, R.c.fn_id, R.c.status).where(
                    R.c.event_id.in_(ids)
                )
            ).all()
            if ids
            else []
        )
    by_event: dict[str, list[dict[str, Any]]] = {}
    for ev_id, run_id, fn_id, status in runs:
        by_event.setdefault(ev_id, []).append({"run_id": run_id, "fn_id": fn_id, "status": status})
    return [{**dict(r._mapping), "runs": by_event.get(r.internal_id, [])} for r in rows]


SHARED_RUNS_SCAN = 2000  # runs started after an event that may hold it with others


def event_runs(store: Store, internal_id: str) -> list[dict[str, Any]]:
    """The runs an event started: its own runs, and the runs that took it together with
    other events (a batch, a debounce), which record no single triggering event."""
    with store.engine.connect() as conn:
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
    return [_run_summary(r) for r in rows]


def queue_stats(store: Store, now: float) -> dict[str, Any]:
    with store.engine.connect() as conn:
        due = conn.execute(
            sa.select(sa.func.count()).select_from(schema.queue).where(schema.queue.c.due_at <= now)
        ).scalar()
        total = conn.execute(sa.select(sa.func.count()).select_from(schema.queue)).scalar()
        oldest = conn.execute(
            sa.select(sa.func.min(schema.queue.c.due_at)).where(schema.queue.c.kind == "call")
        ).scalar()
    return {"due": due, "queued": total, "lag_seconds": max(0.0, now - oldest) if oldest else 0.0}
