"""Inngest's REST API for people who script the engine as they script Inngest:
``GET /v1/events`` (every received event, newest first, cursor paging),
``GET /v1/events/{id}/runs`` and ``GET /v1/runs/{id}``, in the shapes of Inngest's
``apiv1`` (``{"data": ..., "metadata": {"fetched_at"}}``, ISO times, upper-case
statuses). Reads only: write routes live where the browser guard is applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse

from harvester.engine import schema
from harvester.engine.config import EngineConfig, RunStatus
from harvester.engine.history import RunHistory
from harvester.engine.sysdb import SystemDatabase

E, RC, R = schema.events, schema.event_receipts, schema.runs
NO_ID = "00000000-0000-0000-0000-000000000000"  # account and environment: one local one
MAX_EVENTS = 100  # Inngest's cqrs.MaxEvents


def iso(ts: float | None) -> str | None:
    """A stored unix time as Inngest writes it (RFC 3339, UTC, ms)."""
    if ts is None:
        return None
    return (
        datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def parse_time(value: str, field: str) -> float:
    """An ISO 8601 / RFC 3339 time as unix seconds (no zone means UTC); 400 naming
    ``field`` otherwise."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise HTTPException(400, f"{field}: not an ISO 8601 time ({value!r})") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


Key = tuple[float, str, int]  # a reception's place in the list: time, internal id, seq


def _cursor_key(db: SystemDatabase, cursor: str) -> Key:
    """Our cursor (``received_at~internal_id~seq``), or an event's internal id as
    Inngest's clients pass it (its newest reception)."""
    parts = cursor.split("~")
    if len(parts) == 3:
        try:
            return float(parts[0]), parts[1], int(parts[2])
        except ValueError:
            pass
    with db.sql.connect() as conn:
        first = conn.execute(sa.select(E.c.received_at).where(E.c.internal_id == cursor)).first()
        again = conn.execute(
            sa.select(RC.c.received_at, RC.c.seq)
            .where(RC.c.internal_id == cursor)
            .order_by(RC.c.seq.desc())
            .limit(1)
        ).first()
    if again is not None:
        return float(again.received_at), cursor, int(again.seq)
    if first is not None:
        return float(first.received_at), cursor, 0
    raise HTTPException(400, f"cursor: no such event or cursor ({cursor!r})")


def received_events(
    db: SystemDatabase, *, name: str | None, after: float | None, cursor: Key | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Every reception of an event, newest first, and the next page's cursor."""
    cols = [E.c.internal_id, E.c.id, E.c.name, E.c.data, E.c.ts]
    first = sa.select(*cols, E.c.received_at, sa.literal(0).label("seq"))
    again = sa.select(*cols, RC.c.received_at, RC.c.seq).join(
        RC, RC.c.internal_id == E.c.internal_id
    )
    u = sa.union_all(first, again).subquery()
    q = sa.select(u)
    if name:
        q = q.where(u.c.name == name)
    if after is not None:
        q = q.where(u.c.received_at > after)
    if cursor is not None:
        q = q.where(sa.tuple_(u.c.received_at, u.c.internal_id, u.c.seq) < sa.tuple_(*cursor))
    order = (u.c.received_at.desc(), u.c.internal_id.desc(), u.c.seq.desc())
    with db.sql.connect() as conn:
        rows = conn.execute(q.order_by(*order).limit(limit + 1)).all()
    more, rows = len(rows) > limit, rows[:limit]
    data = [
        {
            "internal_id": r.internal_id,
            "account_id": NO_ID,
            "environment_id": NO_ID,
            "source": "",
            "source_id": None,
            "received_at": iso(r.received_at),
            "id": r.id,
            "name": r.name,
            "data": r.data,
            "ts": r.ts,
        }
        for r in rows
    ]
    last = rows[-1] if rows else None
    nxt = f"{last.received_at!r}~{last.internal_id}~{last.seq}" if more and last else None
    return data, nxt


@dataclass(frozen=True, slots=True)
class ApiRun:
    """What ``GET /v1/runs/{id}`` shows of a run (``_run_row`` reads these columns)."""

    run_id: str
    fn_id: str
    event_id: str | None
    status: RunStatus
    output: Any
    error: dict[str, Any] | None
    created_at: float
    started_at: float | None
    ended_at: float | None


def function_run(run: ApiRun) -> dict[str, Any]:
    """One run as Inngest's ``cqrs.FunctionRun``; a failed run's output is its error."""
    out: dict[str, Any] = {
        "run_id": run.run_id,
        "run_started_at": iso(run.started_at or run.created_at),
        "function_id": run.fn_id,
        "function_version": 0,
        "environment_id": NO_ID,
        "event_id": run.event_id,
        "status": run.status.value,
        "ended_at": iso(run.ended_at),
    }
    output = run.error if run.status == RunStatus.FAILED else run.output
    if output is not None:
        out["output"] = output
    return out


def _envelope(data: Any, cfg: EngineConfig, **extra: Any) -> dict[str, Any]:
    return {"data": data, "metadata": {"fetched_at": iso(cfg.clock())}, **extra}


def build_rest_router(db: SystemDatabase, history: RunHistory, cfg: EngineConfig) -> APIRouter:
    """The read routes of Inngest's REST API over the engine's tables."""
    router = APIRouter()

    @router.get("/v1/events", tags=["inngest"])
    def v1_events(
        name: str | None = None,
        received_after: str | None = None,
        cursor: str | None = None,
        limit: int = Query(20, ge=1, le=MAX_EVENTS),
    ) -> Any:
        after = parse_time(received_after, "received_after") if received_after else None
        key = _cursor_key(db, cursor) if cursor else None
        data, nxt = received_events(db, name=name, after=after, cursor=key, limit=limit)
        return _envelope(data, cfg, cursor=nxt)

    @router.get("/v1/events/{internal_id}/runs", tags=["inngest"])
    def v1_event_runs(internal_id: str) -> Any:
        runs = [_run_row(db, r.run_id) for r in history.event_runs(internal_id)]
        return _envelope([function_run(r) for r in runs if r is not None], cfg)

    @router.get("/v1/runs/{run_id}", tags=["inngest"])
    def v1_run(run_id: str) -> Any:
        run = _run_row(db, run_id)
        if run is None:
            raise HTTPException(404, f"run_id: no run {run_id!r}")
        return _envelope(function_run(run), cfg)

    # Out of scope, answered 501 with the reason rather than a hang; kept out of the
    # OpenAPI schema, which documents what the engine does (and what fuzzers expect 2xx/4xx of).
    @router.api_route("/v0/connect/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
    def connect(rest: str) -> JSONResponse:
        return _unsupported("Connect (workers over a WebSocket): serve the app over HTTP")

    @router.api_route("/v1/realtime/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
    def realtime(rest: str) -> JSONResponse:
        return _unsupported("realtime (publish, subscription tokens)")

    return router


def _unsupported(what: str) -> JSONResponse:
    """Out of scope: a clear 501 the SDK raises on, not a request that hangs."""
    return JSONResponse({"error": f"{what} is not supported by this engine"}, status_code=501)


def _run_row(db: SystemDatabase, run_id: str) -> ApiRun | None:
    cols = [R.c[name] for name in ApiRun.__match_args__]
    with db.sql.connect() as conn:
        row = conn.execute(sa.select(*cols).where(R.c.run_id == run_id)).first()
    return None if row is None else ApiRun(**{**row._mapping, "status": RunStatus(row.status)})
