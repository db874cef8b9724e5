"""Operator endpoints: dead letters (+ replay), alerts, kill switch, health."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request

from harvester.jobs.operator_actions import replay_dead_letters, set_kill_switch
from harvester.store.alerts import alerts_page
from harvester.store.health import latest_health
from harvester.store.job_runs import dead_letters_page
from harvester.web.api.schemas import (
    MAX_ID,
    AlertPage,
    DeadLetterPage,
    Health,
    KillSwitchChange,
    KillSwitchState,
    Replayed,
)

router = APIRouter(tags=["operations"])


def _rt(request: Request) -> Any:
    return request.app.state.runtime


@router.get("/dead-letters", response_model=DeadLetterPage)
def dead_letters(
    request: Request,
    status: Literal["pending", "replayed"] | None = None,
    after: int | None = Query(None, ge=0, le=MAX_ID),
    limit: int = Query(100, ge=1, le=500),
) -> dict[str, Any]:
    """Failed runs with their original event and error, newest first."""
    with _rt(request).db.session() as s:
        rows = dead_letters_page(s, status=status, after=after, limit=limit)
    return {"data": rows, "next_after": rows[-1]["id"] if len(rows) == limit else None}


@router.post("/dead-letters/replay", response_model=Replayed)
async def replay_all(request: Request) -> dict[str, int]:
    """Re-send the original event of every pending dead letter."""
    return {"replayed": await replay_dead_letters(_rt(request), None)}


@router.post("/dead-letters/{dl_id}/replay", response_model=Replayed)
async def replay_one(request: Request, dl_id: int = Path(ge=1, le=MAX_ID)) -> dict[str, int]:
    """Re-send the original event of one dead letter."""
    n = await replay_dead_letters(_rt(request), [dl_id])
    if n == 0:
        raise HTTPException(404, f"dead letter {dl_id} not found or without an event")
    return {"replayed": n}


@router.get("/alerts", response_model=AlertPage)
def alerts(
    request: Request,
    severity: Literal["info", "warning", "critical"] | None = None,
    after: int | None = Query(None, ge=0, le=MAX_ID),
    limit: int = Query(100, ge=1, le=500),
) -> dict[str, Any]:
    """Alerts raised by the pipeline, newest first."""
    with _rt(request).db.session() as s:
        rows = alerts_page(s, severity=severity, after=after, limit=limit)
    return {"data": rows, "next_after": rows[-1]["id"] if len(rows) == limit else None}


@router.get("/kill-switch", response_model=KillSwitchState)
async def kill_switch(request: Request) -> dict[str, Any]:
    """Whether harvesting is paused, by whom and why."""
    return dict(await _rt(request).guard.kill_switch.state())


@router.post("/kill-switch", response_model=KillSwitchState)
async def flip_kill_switch(request: Request, body: KillSwitchChange) -> dict[str, Any]:
    """Pause (``on: true``) or resume every TikTok call; running steps see it at once."""
    await set_kill_switch(_rt(request), body.on, body.reason, body.by)
    return dict(await _rt(request).guard.kill_switch.state())


@router.get("/health", response_model=Health)
async def health(request: Request) -> dict[str, Any]:
    """The latest recorded health check and the live guard state."""
    rt = _rt(request)
    with rt.db.session() as s:
        latest = latest_health(s)
    return {"latest": latest, "guard": await rt.guard.snapshot()}
