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
from harvester.store.comments import comments_page, count_comments
from harvester.store.day_report import SECTIONS, report_outline, report_section
from harvester.store.domain_list import DomainQuery, DomainSort
from harvester.store.domains import domain_detail
from harvester.store.health import latest_health
from harvester.store.overview import overview as stored_overview
from harvester.store.provenance import domain_sources, video_sources
from harvester.store.top_domains import top_domains
from harvester.store.videos import count_videos, video_detail, videos_page
from harvester.web.api.run_counts import with_engine_run_counts
from harvester.web.dashboard.collect import collection
from harvester.web.dashboard.context import runtime
from harvester.web.dashboard.listing import ListQuery, list_query
from harvester.web.dashboard.render import page
from harvester.web.dashboard.sources import source_label, source_title
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


DOMAIN_SORTS = {s.value: s is not DomainSort.NAME for s in DomainSort}
domain_list_query = list_query(DOMAIN_SORTS, DomainSort.NEWEST.value)


@router.get("/domains", response_class=HTMLResponse)
def domains(
    request: Request,
    query: DomainQuery = Depends(domain_query),
    lq: ListQuery = Depends(domain_list_query),
) -> HTMLResponse:
    """Search, filter and rank domains (signals as columns); export links to the API."""
    with runtime(request).db.session() as s:
        total = domain_list.count(s, query)
        rows = domain_list.list_domains(s, query, offset=lq.offset, limit=lq.size)
    return page(
        request,
        "domains.html",
        domains=rows,
        lq=lq.counted(total),
        f=query,
        qs=_query_string(request),
        sorts=[s.value for s in DomainSort],
        kinds=[k.value for k in DomainKind],
    )


def _query_string(request: Request) -> str:
    """The page's filters and order, without its position (for export links)."""
    drop = ("after", "offset", "page", "size")
    keep = [(k, v) for k, v in request.query_params.multi_items() if k not in drop]
    return urlencode(keep)


REPORT_SORTS = {"today": True, "videos": True, "advertisers": True, "youngest": True}
REPORT_SORTS |= {"name": False}
report_list_query = list_query(REPORT_SORTS, "today")
REPORT_TITLES = {"spiking": "Spiking", "new": "New"}


@router.get("/report", response_class=HTMLResponse)
def report(
    request: Request,
    day: str | None = Query(None, max_length=10),
    section: str = Query("", max_length=16),
    lq: ListQuery = Depends(report_list_query),
) -> HTMLResponse:
    """The day's new and spiking domains with their evidence, one section a page with
    a table of contents (CSV: the API)."""
    the_day = report_day(day)
    if section and section not in SECTIONS:
        raise HTTPException(422, f"section: {section!r} is not one of {', '.join(SECTIONS)}")
    thresholds = runtime(request).settings.thresholds
    with runtime(request).db.session() as s:
        outline = report_outline(s, the_day, thresholds)
        # No section asked for: the first one with something in it.
        filled = [name for name in SECTIONS if outline["counts"][name]]
        section = section or (filled or [SECTIONS[0]])[0]
        rows = report_section(
            s,
            the_day,
            section,
            thresholds,
            sort=DomainSort(lq.sort),
            descending=lq.descending,
            offset=lq.offset,
            limit=lq.size,
        )
    at = SECTIONS.index(section)
    prev, nxt = the_day - timedelta(days=1), the_day + timedelta(days=1)
    return page(
        request,
        "report.html",
        r=outline,
        rows=rows,
        section=section,
        titles=REPORT_TITLES,
        sections=SECTIONS,
        prev_section=SECTIONS[at - 1] if at > 0 else None,
        next_section=SECTIONS[at + 1] if at + 1 < len(SECTIONS) else None,
        lq=lq.counted(outline["counts"][section]),
        prev=prev.isoformat(),
        next=nxt.isoformat(),
    )


mention_list_query = list_query({"when": True, "video": False, "confidence": True}, "when")


@router.get("/domains/{name}", response_class=HTMLResponse, response_model=None)
def domain(
    request: Request, name: str, lq: ListQuery = Depends(mention_list_query)
) -> HTMLResponse | RedirectResponse:
    """One domain: first/last seen, daily mentions, videos, highlighted comments."""
    with runtime(request).db.session() as s:
        d = domain_detail(
            s,
            name,
            sort=lq.sort,
            descending=lq.descending,
            offset=lq.offset,
            limit=lq.size,
        )
        unicode_name = _from_punycode(name)
        if d is None and unicode_name != name:  # the CSV's ascii_name: xn--…
            return RedirectResponse(f"/domains/{quote(unicode_name)}", status_code=307)
        if d is None:
            raise HTTPException(404, f"domain {name!r} not found")
        found = domain_sources(s, d["id"])
    settings = runtime(request).settings
    pipeline = source_title(settings.source)
    sources = [{**f, "label": source_label(f, pipeline)} for f in found]
    return page(
        request,
        "domain.html",
        d=d,
        lookups_on=settings.domain_lookups,
        sources=sources,
        lq=lq.counted(d["mention_rows"]),
    )


def _from_punycode(name: str) -> str:
    """``xn--espaa-ofertas-lkb.es`` → ``españa-ofertas.es``; other names unchanged."""
    try:
        return name.encode("ascii").decode("idna").lower() if "xn--" in name.lower() else name
    except (UnicodeError, ValueError):
        return name


VIDEO_LIST_SORTS = {
    "video": True,
    "advertiser": False,
    "region": False,
    "status": False,
    "comments": True,
    "source": False,
    "discovered": True,
    "harvested": True,
}
video_list_query = list_query(VIDEO_LIST_SORTS, "video")


@router.get("/videos", response_class=HTMLResponse)
def videos(
    request: Request,
    q: str = Query("", max_length=200),
    lq: ListQuery = Depends(video_list_query),
) -> HTMLResponse:
    """Promoted videos, searchable by advertiser, each with where it came from."""
    with runtime(request).db.session() as s:
        total = count_videos(s, q=q or None)
        rows = videos_page(
            s,
            q=q or None,
            sort=lq.sort,
            descending=lq.descending,
            offset=lq.offset,
            limit=lq.size,
        )
        sources = video_sources(s, rows)
    pipeline = source_title(runtime(request).settings.source)
    for v in rows:
        v["source"] = source_label(sources[v["video_id"]], pipeline)
    return page(request, "videos.html", videos=rows, q=q, lq=lq.counted(total))


@router.get("/videos/{video_id}", response_class=HTMLResponse)
def video(request: Request, video_id: str) -> HTMLResponse:
    """One video and its comments, mentions highlighted."""
    with runtime(request).db.session() as s:
        v = video_detail(s, video_id)
    if v is None:
        raise HTTPException(404, f"video {video_id!r} not found")
    return page(request, "video.html", v=v)


COMMENT_LIST_SORTS = {
    "comment": True,
    "text": False,
    "video": False,
    "likes": True,
    "harvested": True,
}
comment_list_query = list_query(COMMENT_LIST_SORTS, "comment")


@router.get("/comments", response_class=HTMLResponse)
def comments(
    request: Request,
    q: str = Query("", max_length=200),
    with_domains: bool = False,
    lq: ListQuery = Depends(comment_list_query),
) -> HTMLResponse:
    """Comments, searchable, optionally only those that mention a domain."""
    with runtime(request).db.session() as s:
        total = count_comments(s, q=q or None, with_domains=with_domains)
        rows = comments_page(
            s,
            q=q or None,
            with_domains=with_domains,
            sort=lq.sort,
            descending=lq.descending,
            offset=lq.offset,
            limit=lq.size,
        )
    return page(
        request,
        "comments.html",
        comments=rows,
        q=q,
        with_domains=with_domains,
        lq=lq.counted(total),
    )
