"""Pages over the harvested data: overview, domains, videos, comments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from harvester.clock import today
from harvester.domains.hosts import DomainKind
from harvester.store import domain_list
from harvester.store.comments import comments_page
from harvester.store.day_report import day_report
from harvester.store.domain_list import DomainQuery, DomainSort
from harvester.store.domains import domain_detail
from harvester.store.health import latest_health
from harvester.store.overview import overview as stored_overview
from harvester.store.top_domains import top_domains
from harvester.store.videos import video_detail, videos_page
from harvester.web.api.run_counts import with_engine_run_counts
from harvester.web.api.schemas import MAX_ID
from harvester.web.dashboard.collect import collection
from harvester.web.dashboard.context import PAGE_SIZE, runtime
from harvester.web.dashboard.render import page
from harvester.web.domain_params import domain_query, report_day

router = APIRouter()
RECENT_FAILURES = 5


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request) -> HTMLResponse:
    """Headline numbers, trends, guard state, queue and last health check."""
    rt = runtime(request)
    with rt.db.session() as s:
        data = stored_overview(s)
        health = latest_health(s)
        top = top_domains(s, today())
    eng = rt.engine
    with_engine_run_counts(data, eng)
    stats = eng.queue_stats() if eng is not None else None
    guard = await rt.guard.snapshot()
    bucket = guard["bucket"]
    used = 1 - bucket["tokens"] / bucket["capacity"] if bucket["capacity"] else 0.0
    return page(
        request,
        "overview.html",
        o=data,
        guard=guard,
        budget_used=max(0.0, min(1.0, used)),
        health=health,
        queue=stats,
        failures=recent_failures(eng),
        queue_series=request.app.state.queue_samples.series(),
        top=top,
        collection=await collection(request),
    )


def recent_failures(eng: Any, n: int = RECENT_FAILURES) -> list[dict[str, Any]]:
    """The last ``n`` failed runs with what their error said (none without an engine)."""
    if eng is None:
        return []
    out = []
    for r in eng.list_runs(status="FAILED", limit=n).data:
        detail = eng.get_run(r.run_id)
        error = (detail.error if detail else None) or {}
        said = f"{error.get('name') or 'Error'}: {error.get('message') or ''}"
        out.append({"run": r, "error": said.strip(": ")})
    return out


@router.get("/domains", response_class=HTMLResponse)
def domains(
    request: Request,
    query: DomainQuery = Depends(domain_query),
    after: int | None = Query(None, ge=0, le=MAX_ID),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> HTMLResponse:
    """Search, filter and rank domains (signals as columns); export links to the API."""
    with runtime(request).db.session() as s:
        rows = domain_list.list_domains(s, query, after=after, offset=offset, limit=PAGE_SIZE)
        total = domain_list.count(s, query)
    full = len(rows) == PAGE_SIZE
    newest = query.sort is DomainSort.NEWEST
    return page(
        request,
        "domains.html",
        domains=rows,
        total=total,
        f=query,
        qs=_query_string(request),
        sorts=[s.value for s in DomainSort],
        kinds=[k.value for k in DomainKind],
        next_after=rows[-1]["id"] if full and newest else None,
        next_offset=offset + PAGE_SIZE if full and not newest else None,
    )


def _query_string(request: Request) -> str:
    """The page's filters, without its position (for export and pager links)."""
    keep = [(k, v) for k, v in request.query_params.multi_items() if k not in ("after", "offset")]
    return urlencode(keep)


@router.get("/report", response_class=HTMLResponse)
def report(request: Request, day: str | None = Query(None, max_length=10)) -> HTMLResponse:
    """The day's new and spiking domains with their evidence (CSV: the API)."""
    the_day = report_day(day)
    with runtime(request).db.session() as s:
        data = day_report(s, the_day, runtime(request).settings.thresholds)
    prev, nxt = the_day - timedelta(days=1), the_day + timedelta(days=1)
    return page(request, "report.html", r=data, prev=prev.isoformat(), next=nxt.isoformat())


@router.get("/domains/{name}", response_class=HTMLResponse, response_model=None)
def domain(
    request: Request, name: str, before: int | None = Query(None, ge=0, le=MAX_ID)
) -> HTMLResponse | RedirectResponse:
    """One domain: first/last seen, daily mentions, videos, highlighted comments."""
    with runtime(request).db.session() as s:
        d = domain_detail(s, name, before=before, limit=PAGE_SIZE)
        unicode_name = _from_punycode(name)
        if d is None and unicode_name != name:  # the CSV's ascii_name: xn--…
            return RedirectResponse(f"/domains/{quote(unicode_name)}", status_code=307)
    if d is None:
        raise HTTPException(404, f"domain {name!r} not found")
    lookups_on = runtime(request).settings.domain_lookups
    return page(request, "domain.html", d=d, lookups_on=lookups_on)


def _from_punycode(name: str) -> str:
    """``xn--espaa-ofertas-lkb.es`` → ``españa-ofertas.es``; other names unchanged."""
    try:
        return name.encode("ascii").decode("idna").lower() if "xn--" in name.lower() else name
    except (UnicodeError, ValueError):
        return name


@router.get("/videos", response_class=HTMLResponse)
def videos(
    request: Request, q: str = Query("", max_length=200), after: str | None = None
) -> HTMLResponse:
    """Promoted videos, searchable by advertiser."""
    with runtime(request).db.session() as s:
        rows = videos_page(s, q=q or None, after=after, limit=PAGE_SIZE)
    return page(
        request,
        "videos.html",
        videos=rows,
        q=q,
        next_after=rows[-1]["video_id"] if len(rows) == PAGE_SIZE else None,
    )


@router.get("/videos/{video_id}", response_class=HTMLResponse)
def video(request: Request, video_id: str) -> HTMLResponse:
    """One video and its comments, mentions highlighted."""
    with runtime(request).db.session() as s:
        v = video_detail(s, video_id)
    if v is None:
        raise HTTPException(404, f"video {video_id!r} not found")
    return page(request, "video.html", v=v)


@router.get("/comments", response_class=HTMLResponse)
def comments(
    request: Request,
    q: str = Query("", max_length=200),
    with_domains: bool = False,
    after: str | None = None,
) -> HTMLResponse:
    """Comments, searchable, optionally only those that mention a domain."""
    with runtime(request).db.session() as s:
        rows = comments_page(
            s, q=q or None, with_domains=with_domains, after=after, limit=PAGE_SIZE
        )
    return page(
        request,
        "comments.html",
        comments=rows,
        q=q,
        with_domains=with_domains,
        next_after=rows[-1]["comment_id"] if len(rows) == PAGE_SIZE else None,
    )
