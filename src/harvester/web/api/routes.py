"""``/api/v1``: overview, domains (+ export), videos, comments, dead letters, alerts,
kill switch and health. Reads go through ``store.queries``; state changes need admin."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from harvester.jobs.operations import replay_dead_letters, set_kill_switch
from harvester.store import queries
from harvester.web.security import require_admin

router = APIRouter(prefix="/api/v1", tags=["harvester"], dependencies=[Depends(require_admin)])


class KillSwitchChange(BaseModel):
    on: bool
    reason: str = Field("", max_length=500)
    by: str = Field("api", max_length=100)


def _rt(request: Request) -> Any:
    return request.app.state.runtime


@router.get("/overview")
async def overview(request: Request) -> dict[str, Any]:
    """Headline counts, daily series, guard state and pipeline success rate."""
    rt = _rt(request)
    with rt.db.session() as s:
        data = queries.overview(s)
    data["guard"] = await rt.guard.snapshot()
    return data


@router.get("/domains", response_model=None)
def domains(
    request: Request,
    q: str | None = Query(None, max_length=200),
    new_today: bool = False,
    after: int | None = None,
    limit: int = Query(50, ge=1, le=5000),
    format: str = Query("json"),
) -> Any:
    """Domains (newest first); ``format=csv`` exports."""
    if format not in ("json", "csv"):
        raise HTTPException(422, "format must be json or csv")
    with _rt(request).db.session() as s:
        rows = queries.domains(s, q=q, new_today=new_today, after=after, limit=limit)
    if format == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["name", "ascii_name", "first_seen_at", "last_seen_at", "mention_count"])
        for r in rows:
            w.writerow(
                [
                    r["name"],
                    r["ascii_name"],
                    r["first_seen_at"],
                    r["last_seen_at"],
                    r["mention_count"],
                ]
            )
        return Response(
            buf.getvalue(),
            media_type="text/csv",
            headers={"Content-Disposition": "attachment; filename=domains.csv"},
        )
    return {"data": rows, "next_after": rows[-1]["id"] if len(rows) == limit else None}


@router.get("/domains/{name}")
def domain(request: Request, name: str) -> dict[str, Any]:
    with _rt(request).db.session() as s:
        d = queries.domain_detail(s, name)
    if d is None:
        raise HTTPException(404, f"domain {name!r} not found")
    return d


@router.get("/videos")
def videos(
    request: Request, after: str | None = None, limit: int = Query(50, ge=1, le=500)
) -> dict[str, Any]:
    with _rt(request).db.session() as s:
        return {"data": queries.videos(s, after=after, limit=limit)}


@router.get("/videos/{video_id}")
def video(request: Request, video_id: str) -> dict[str, Any]:
    with _rt(request).db.session() as s:
        v = queries.video_detail(s, video_id)
    if v is None:
        raise HTTPException(404, f"video {video_id!r} not found")
    return v


@router.get("/comments")
def comments(
    request: Request,
    video_id: str | None = None,
    q: str | None = Query(None, max_length=200),
    after: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    with _rt(request).db.session() as s:
        return {"data": queries.comments(s, video_id=video_id, q=q, after=after, limit=limit)}


@router.get("/dead-letters")
def dead_letters(request: Request) -> dict[str, Any]:
    with _rt(request).db.session() as s:
        return {"data": queries.dead_letters(s)}


@router.post("/dead-letters/replay")
async def replay_all(request: Request) -> dict[str, int]:
    """Re-send the original event of every pending dead letter."""
    return {"replayed": await replay_dead_letters(_rt(request), None)}


@router.post("/dead-letters/{dl_id}/replay")
async def replay_one(request: Request, dl_id: int) -> dict[str, int]:
    n = await replay_dead_letters(_rt(request), [dl_id])
    if n == 0:
        raise HTTPException(404, f"dead letter {dl_id} not found or without an event")
    return {"replayed": n}


@router.get("/alerts")
def alerts(request: Request) -> dict[str, Any]:
    with _rt(request).db.session() as s:
        return {"data": queries.alerts(s)}


@router.get("/kill-switch")
async def kill_switch(request: Request) -> dict[str, Any]:
    return dict(await _rt(request).guard.kill_switch.state())


@router.post("/kill-switch")
async def flip_kill_switch(request: Request, body: KillSwitchChange) -> dict[str, Any]:
    """Turn harvesting off (on=true) or back on; running steps see it within a second."""
    await set_kill_switch(_rt(request), body.on, body.reason, body.by)
    return dict(await _rt(request).guard.kill_switch.state())


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """The latest recorded health check and the live guard state."""
    rt = _rt(request)
    with rt.db.session() as s:
        latest = queries.latest_health(s)
    return {"latest": latest, "guard": await rt.guard.snapshot()}
