"""The run API over the embedded engine's face: runs (list, one, cancel, replay, bulk
cancel), functions and events. Mounted under ``/api/v1`` with the rest of our API, and
by ``harvester engine`` beside the engine's protocol routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from harvester.engine import Engine, read_json_body, validate_events
from harvester.web.api.run_filters import check_our_events, function_id, run_status

router = APIRouter(tags=["runs"])


class BulkCancel(BaseModel):
    fn: str = Field(..., min_length=1)
    since: float
    until: float


def _engine(request: Request) -> Engine:
    """The embedded engine, or a 404 that says where runs live instead."""
    engine: Engine | None = getattr(request.app.state, "engine", None)
    if engine is None:
        raise HTTPException(
            404, "runs live in your Inngest server (INNGEST_BASE_URL): open its dashboard"
        )
    return engine


@router.get("/runs")
def runs(
    request: Request,
    fn: str | None = None,
    status: str | None = None,
    since: float | None = None,
    until: float | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> Any:
    """Runs, newest first, filtered; pass ``next_cursor`` back for the next page. ``fn``
    takes a function's id or its unique tail (``harvest-comments``); ``status`` one of
    the run states (422 otherwise, naming them)."""
    engine = _engine(request)
    page = engine.list_runs(
        fn=function_id(engine, fn),
        status=run_status(status),
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    return page.to_json()


@router.get("/runs/{run_id}")
def run(request: Request, run_id: str) -> Any:
    """One run: its event, step timeline, output or error."""
    detail = _engine(request).get_run(run_id)
    if detail is None:
        raise HTTPException(404, "run not found")
    return detail.to_json()


@router.post("/runs/{run_id}/cancel")
def cancel(request: Request, run_id: str) -> Any:
    if not _engine(request).cancel(run_id):
        raise HTTPException(409, "run not found or already finished")
    return {"cancelled": run_id}


@router.post("/runs/{run_id}/replay")
def replay(request: Request, run_id: str) -> Any:
    new = _engine(request).replay(run_id)
    if new is None:
        raise HTTPException(404, "run or its function not found")
    return {"run_id": new}


@router.post("/runs/cancel")
def bulk_cancel(request: Request, body: BulkCancel) -> Any:
    """Cancel every unfinished run of a function (id or unique tail) created in
    [since, until)."""
    engine = _engine(request)
    fn = function_id(engine, body.fn)
    assert fn is not None  # body.fn is not empty
    return {"cancelled": engine.bulk_cancel(fn, body.since, body.until)}


@router.get("/functions")
def functions(request: Request) -> Any:
    """Synced functions with their config and run counts by status."""
    return {"data": [f.to_json() for f in _engine(request).list_functions()]}


@router.get("/events")
def events(request: Request, name: str | None = None, limit: int = Query(50, ge=1, le=500)) -> Any:
    """Recent events with the runs they started."""
    return {"data": [e.to_json() for e in _engine(request).list_events(name=name, limit=limit)]}


@router.post("/events")
async def post_events(request: Request) -> Any:
    """Send one event or a list (same validation as the event API); our own events must
    fit their schema, as in the dashboard's form and ``harvester send`` (else 422)."""
    engine = _engine(request)
    events = validate_events(await read_json_body(request, engine.cfg.max_body_bytes))
    check_our_events(events)
    return {"ids": await engine.send(events)}


def standalone_router() -> APIRouter:
    """The run API under ``/api/v1`` for an app that serves the engine alone."""
    outer = APIRouter(prefix="/api/v1")
    outer.include_router(router)
    return outer
