"""Read endpoints over the harvested data: overview, domains (+ export), videos, comments."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from harvester.store import queries
from harvester.web.api.run_counts import with_engine_run_counts
from harvester.web.api.schemas import (
    MAX_ID,
    CommentPage,
    DomainDetail,
    DomainPage,
    Overview,
    VideoDetail,
    VideoPage,
)
from harvester.web.csv_cells import cell

router = APIRouter(tags=["data"])
EXPORT_COLUMNS = ("name", "ascii_name", "first_seen_at", "last_seen_at", "mention_count")
MAX_EXPORT = 1_000_000


def _db(request: Request) -> Any:
    return request.app.state.runtime.db


@router.get("/overview", response_model=Overview)
async def overview(request: Request, days: int = Query(14, ge=1, le=90)) -> dict[str, Any]:
    """Headline counts, per-day series, pipeline success rate and the guard's state."""
    with _db(request).session() as s:
        data = queries.overview(s, days=days)
    with_engine_run_counts(data, request.app.state.runtime.engine)
    data["guard"] = await request.app.state.runtime.guard.snapshot()
    return data


@router.get(
    "/domains",
    response_model=DomainPage,
    responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
)
def domains(
    request: Request,
    q: str | None = Query(None, max_length=200, description="Substring of the name."),
    new_today: bool = Query(False, description="Only domains first seen today (UTC)."),
    after: int | None = Query(
        None, ge=0, le=MAX_ID, description="`next_after` of the previous page."
    ),
    limit: int = Query(50, ge=1, le=500),
    format: Literal["csv", "json"] | None = Query(
        None, description="Export every match as a CSV or JSON file instead of a page."
    ),
) -> Any:
    """Domains, newest first, by keyset pages; ``format=csv|json`` exports all matches."""
    db = _db(request)
    if format is not None:
        found = _export_rows(db, q, new_today)
        body = _csv(found) if format == "csv" else _json_array(found)
        return StreamingResponse(
            body,
            media_type="text/csv" if format == "csv" else "application/json",
            headers={"Content-Disposition": f"attachment; filename=domains.{format}"},
        )
    with db.session() as s:
        rows = queries.domains(s, q=q, new_today=new_today, after=after, limit=limit)
        total = queries.count_domains(s, q=q, new_today=new_today)
    return {
        "data": rows,
        "total": total,
        "next_after": rows[-1]["id"] if len(rows) == limit else None,
    }


def _export_rows(db: Any, q: str | None, new_today: bool) -> Iterator[dict[str, Any]]:
    with db.session() as s:
        yield from queries.iter_domains(s, q=q, new_today=new_today, limit=MAX_EXPORT)


def _csv(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(EXPORT_COLUMNS)
    for i, row in enumerate(rows):
        writer.writerow([cell(row[c]) for c in EXPORT_COLUMNS])
        if i % 500 == 499:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def _json_array(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for i, row in enumerate(rows):
        item = {c: row[c] for c in ("id", *EXPORT_COLUMNS)}
        yield ("," if i else "") + json.dumps(item, default=str, ensure_ascii=False)
    yield "]"


@router.get("/domains/{name}", response_model=DomainDetail)
def domain(
    request: Request,
    name: str,
    before: int | None = Query(None, ge=0, le=MAX_ID),
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """One domain: mentions (with the comment and the span to highlight), videos, days."""
    with _db(request).session() as s:
        d = queries.domain_detail(s, name, before=before, limit=limit)
    if d is None:
        raise HTTPException(404, f"domain {name!r} not found")
    return d


@router.get("/videos", response_model=VideoPage)
def videos(
    request: Request,
    q: str | None = Query(None, max_length=200, description="Substring of the advertiser."),
    after: str | None = Query(None, max_length=64),
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """Promoted videos by keyset pages."""
    with _db(request).session() as s:
        rows = queries.videos(s, q=q, after=after, limit=limit)
    return {"data": rows, "next_after": rows[-1]["video_id"] if len(rows) == limit else None}


@router.get("/videos/{video_id}", response_model=VideoDetail)
def video(request: Request, video_id: str) -> dict[str, Any]:
    """One video and its comments."""
    with _db(request).session() as s:
        v = queries.video_detail(s, video_id)
    if v is None:
        raise HTTPException(404, f"video {video_id!r} not found")
    return v


@router.get("/comments", response_model=CommentPage)
def comments(
    request: Request,
    video_id: str | None = Query(None, max_length=64),
    q: str | None = Query(None, max_length=200),
    with_domains: bool = Query(False, description="Only comments that mention a domain."),
    after: str | None = Query(None, max_length=64),
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """Comments with their mention spans, by keyset pages."""
    with _db(request).session() as s:
        rows = queries.comments(
            s, video_id=video_id, q=q, with_domains=with_domains, after=after, limit=limit
        )
    return {"data": rows, "next_after": rows[-1]["comment_id"] if len(rows) == limit else None}
