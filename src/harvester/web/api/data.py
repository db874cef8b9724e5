"""Read endpoints over the harvested data: overview, domains (+ export), videos, comments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from harvester.kernel.export_columns import (
    DOMAIN_EXPORT_COLUMNS,
    UnknownColumns,
    csv_chunks,
    pick_columns,
)
from harvester.store import domain_list
from harvester.store.comments import comments_page
from harvester.store.day_report import day_report
from harvester.store.domain_list import DomainQuery, DomainSort
from harvester.store.domains import domain_detail
from harvester.store.overview import overview as stored_overview
from harvester.store.videos import video_detail, videos_page
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
from harvester.web.domain_params import domain_query, report_day
from harvester.web.report import render_csv

router = APIRouter(tags=["data"])
MAX_EXPORT = 1_000_000


def _db(request: Request) -> Any:
    return request.app.state.runtime.db


@router.get("/overview", response_model=Overview)
async def overview(request: Request, days: int = Query(14, ge=1, le=90)) -> dict[str, Any]:
    """Headline counts, per-day series, pipeline success rate and the guard's state."""
    with _db(request).session() as s:
        data = stored_overview(s, days=days)
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
    query: DomainQuery = Depends(domain_query),
    after: int | None = Query(
        None, ge=0, le=MAX_ID, description="`next_after` of the previous page (sort=newest)."
    ),
    offset: int = Query(0, ge=0, le=MAX_EXPORT, description="`next_offset` of the previous page."),
    limit: int = Query(50, ge=1, le=500),
    format: Literal["csv", "json"] | None = Query(
        None, description="Export every match as a CSV or JSON file instead of a page."
    ),
    columns: str | None = Query(
        None,
        max_length=1000,
        description="The export's columns, comma-separated, in order (default: all of "
        f"{', '.join(DOMAIN_EXPORT_COLUMNS)}).",
    ),
) -> Any:
    """Domains with their numbers and signals, filtered and sorted (newest first by
    default); ``format=csv|json`` exports all matches in the same order."""
    db = _db(request)
    try:
        chosen = pick_columns(columns)
    except UnknownColumns as exc:
        raise HTTPException(422, f"columns: {exc}") from None
    if format is not None:
        found = _export_rows(db, query)
        body = csv_chunks(found, chosen) if format == "csv" else _json_array(found, chosen)
        return StreamingResponse(
            body,
            media_type="text/csv" if format == "csv" else "application/json",
            headers={"Content-Disposition": f"attachment; filename=domains.{format}"},
        )
    with db.session() as s:
        rows = domain_list.list_domains(s, query, after=after, offset=offset, limit=limit)
        total = domain_list.count(s, query)
    full = len(rows) == limit
    return {
        "data": rows,
        "total": total,
        "next_after": rows[-1]["id"] if full and query.sort is DomainSort.NEWEST else None,
        "next_offset": offset + limit if full else None,
    }


def _export_rows(db: Any, query: DomainQuery) -> Iterator[dict[str, Any]]:
    with db.session() as s:
        yield from domain_list.iter_all(s, query, limit=MAX_EXPORT)


def _json_array(rows: Iterator[dict[str, Any]], columns: tuple[str, ...]) -> Iterator[str]:
    yield "["
    for i, row in enumerate(rows):
        item = {c: row[c] for c in ("id", *columns)}
        yield ("," if i else "") + json.dumps(item, default=str, ensure_ascii=False)
    yield "]"


@router.get("/report", responses={200: {"content": {"text/csv": {}, "application/json": {}}}})
def report(
    request: Request,
    day: str | None = Query(None, max_length=10, description="YYYY-MM-DD (default today)."),
    format: Literal["csv", "json"] = Query("json"),
) -> Any:
    """The day's new and spiking domains, each with its evidence (comments, videos,
    advertisers); ``format=csv`` for a spreadsheet."""
    the_day = report_day(day)
    with _db(request).session() as s:
        data = day_report(s, the_day, request.app.state.runtime.settings.thresholds)
    if format == "json":
        return data
    return StreamingResponse(
        iter([render_csv(data)]),
        media_type="text/csv",
        headers={"Content-Disposition": f"attachment; filename=report-{the_day}.csv"},
    )


@router.get("/domains/{name}", response_model=DomainDetail)
def domain(
    request: Request,
    name: str,
    before: int | None = Query(None, ge=0, le=MAX_ID),
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """One domain: mentions (with the comment and the span to highlight), videos, days."""
    with _db(request).session() as s:
        d = domain_detail(s, name, before=before, limit=limit)
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
        rows = videos_page(s, q=q, after=after, limit=limit)
    return {"data": rows, "next_after": rows[-1]["video_id"] if len(rows) == limit else None}


@router.get("/videos/{video_id}", response_model=VideoDetail)
def video(request: Request, video_id: str) -> dict[str, Any]:
    """One video and its comments."""
    with _db(request).session() as s:
        v = video_detail(s, video_id)
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
        rows = comments_page(
            s, video_id=video_id, q=q, with_domains=with_domains, after=after, limit=limit
        )
    return {"data": rows, "next_after": rows[-1]["comment_id"] if len(rows) == limit else None}
