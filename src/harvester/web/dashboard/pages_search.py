"""The search box every page carries: one query for runs and events (by id or a run
id's start), domains (IDN or punycode), videos, advertisers and comments."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from harvester.store.search import search_all
from harvester.web.api.run_ids import MAX_MATCHES, valid_prefix
from harvester.web.dashboard.context import runtime
from harvester.web.dashboard.render import page

router = APIRouter()
MAX_QUERY = 100


@router.get("/search", response_class=HTMLResponse, response_model=None)
def search(
    request: Request,
    q: str = Query("", max_length=MAX_QUERY),
    legacy_id: str = Query("", alias="id", max_length=MAX_QUERY),
) -> HTMLResponse | RedirectResponse:
    """A run id (or the only run whose id starts with the query, when nothing else
    matches) opens the run; otherwise every match, grouped by kind."""
    rt = runtime(request)
    eng = rt.engine
    query = (q or legacy_id).strip().rstrip("…").strip()
    if query and eng is not None and eng.get_run(query) is not None:
        return RedirectResponse(f"/runs/{query}", status_code=303)
    event, event_runs, ids, more = _engine_matches(eng, query)
    with rt.db.session() as s:
        hits = search_all(s, query)
    if event is None and len(ids) == 1 and hits.total == 0:
        return RedirectResponse(f"/runs/{ids[0]}", status_code=303)
    found = bool(event or ids or hits.total)
    return page(
        request,
        "search.html",
        status_code=200 if found or not query else 404,
        q=query,
        event=event,
        event_runs=event_runs,
        ids=ids,
        more=more,
        hits=hits,
        found=found,
    )


def _engine_matches(eng: Any, q: str) -> tuple[Any, list[Any], list[str], bool]:
    """The event with id ``q`` (and the runs it started), and run ids starting with it."""
    if eng is None or not q:
        return None, [], [], False
    event = eng.get_event(q)
    runs = eng.event_runs(event.internal_id) if event else []
    ids, more = eng.run_ids_with_prefix(q, MAX_MATCHES) if valid_prefix(q) else ([], False)
    return event, runs, ids, more
