"""Pages over the engine's history: one run (with its timeline), functions, events."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from harvester.clock import unix_now
from harvester.engine import TERMINAL, EventRecord, EventRun, validate_events
from harvester.kernel.timeline import human
from harvester.web.api.run_ids import MAX_MATCHES, valid_prefix
from harvester.web.api.series import bucket_for, function_points
from harvester.web.dashboard.context import admin_post, engine, runtime
from harvester.web.dashboard.listing import read_list_query
from harvester.web.dashboard.render import page
from harvester.web.event_schemas import data_problem, listeners

router = APIRouter()
MAX_EVENT_BYTES = 512 * 1024
CHART_HOURS = 24


@router.get("/runs/{run_id}", response_class=HTMLResponse, response_model=None)
def run(request: Request, run_id: str) -> HTMLResponse | RedirectResponse:
    """One run: its event, the step waterfall, output or error, cancel and replay.
    A unique start of a run id (as pasted from elsewhere) redirects to the run."""
    eng = engine(request)
    detail = eng.get_run(run_id)
    if detail is None:
        ids, more = (
            eng.run_ids_with_prefix(run_id, MAX_MATCHES) if valid_prefix(run_id) else ([], False)
        )
        if len(ids) == 1:
            return RedirectResponse(f"/runs/{ids[0]}", status_code=307)
        found = f"; runs starting with it: {', '.join(ids)}{' …' if more else ''}" if ids else ""
        raise HTTPException(404, f"run {run_id!r} not found{found}")
    live = detail.status not in TERMINAL
    now = unix_now() if live else None
    return page(request, "run.html", run=detail.to_json(), live=live, now=now)


@router.post("/runs/{run_id}/cancel")
def cancel(request: Request, run_id: str, csrf: str = Form("")) -> RedirectResponse:
    """Cancel an unfinished run."""
    admin_post(request, csrf)
    if not engine(request).cancel(run_id, "cancelled from the dashboard"):
        raise HTTPException(409, "run not found or already finished")
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/runs/{run_id}/replay")
def replay(request: Request, run_id: str, csrf: str = Form("")) -> RedirectResponse:
    """Start a new run of the same function with the same event(s)."""
    admin_post(request, csrf)
    new = engine(request).replay(run_id)
    if new is None:
        raise HTTPException(404, "run or its function not found")
    return RedirectResponse(f"/runs/{new}", status_code=303)


@router.get("/functions", response_class=HTMLResponse)
def functions(request: Request) -> HTMLResponse:
    """Every synced function with its triggers and run counts."""
    eng = engine(request)
    stats = eng.function_stats()
    fns = sorted(eng.list_functions(), key=lambda f: f.id)
    return page(request, "functions.html", fns=fns, stats=stats, rate=_failure_rate)


def _failure_rate(stats: dict[str, int]) -> float | None:
    done = stats.get("COMPLETED", 0) + stats.get("FAILED", 0)
    return stats.get("FAILED", 0) / done if done else None


@router.get("/functions/{fn_id}", response_class=HTMLResponse)
def function(request: Request, fn_id: str) -> HTMLResponse:
    """One function: configuration, failure rate, recent runs."""
    eng = engine(request)
    fn = eng.get_function(fn_id)
    if fn is None:
        raise HTTPException(404, f"function {fn_id!r} not found")
    recent = eng.list_runs(fn=fn_id, limit=25).data
    stats = fn.runs
    return page(
        request,
        "function.html",
        fn=fn,
        runs=recent,
        stats=stats,
        failure_rate=_failure_rate(stats),
        series=function_points(eng, fn_id, CHART_HOURS),
        chart_hours=CHART_HOURS,
        bucket=human(bucket_for(CHART_HOURS)),
    )


EVENT_LIST_SORTS = {"received": True, "name": False}


def _events_page(request: Request, name: str = "", **ctx: Any) -> HTMLResponse:
    eng = engine(request)
    lq = read_list_query(request, EVENT_LIST_SORTS, "received")
    lq = lq.counted(eng.count_events(name=name or None))
    rows = with_batched_runs(
        eng,
        eng.events_page(
            name=name or None,
            sort=lq.sort,
            descending=lq.descending,
            offset=lq.offset,
            limit=lq.size,
        ),
    )
    functions = eng.list_functions()
    names = sorted({t["event"] for f in functions for t in f.triggers if t.get("event")})
    sent = next((r for r in rows if r.internal_id == ctx.get("sent")), None)
    configs = [{"id": f.id, "config": f.config} for f in functions]
    ctx.setdefault("status_code", 200)
    return page(
        request,
        "events.html",
        events=rows,
        known_events=[n for n in names if not n.startswith("inngest/")],
        event_names=sorted(set(names) | {name} - {""}),
        name_filter=name,
        lq=lq,
        sent_name=sent.name if sent else None,
        sent_listened=bool(sent is None or listeners(sent.name, configs)),
        **ctx,
    )


@router.get("/events", response_class=HTMLResponse)
def events(
    request: Request,
    sent: str = Query("", max_length=64),
    name: str = Query("", max_length=300),
) -> HTMLResponse:
    """Recent events (of one name, if given) and the runs they started; a form to send one."""
    return _events_page(request, name=name.strip(), sent=sent)


def with_batched_runs(eng: Any, rows: list[EventRecord]) -> list[EventRecord]:
    """Events that name no run as theirs may have been taken in a batch or a debounce:
    the engine finds those runs by the events they hold."""
    out = []
    for r in rows:
        if not r.runs:
            took = [EventRun(x.run_id, x.fn_id, x.status) for x in eng.event_runs(r.internal_id)]
            r = replace(r, runs=took)
        out.append(r)
    return out


def parse_event(name: str, data: str) -> dict[str, Any]:
    """The event the form describes, or ValueError saying what is wrong."""
    if len(data.encode()) > MAX_EVENT_BYTES:
        raise ValueError(f"data is over {MAX_EVENT_BYTES // 1024} KiB")
    try:
        payload = json.loads(data or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"data is not valid JSON: {exc}") from exc
    try:
        event = validate_events({"name": name.strip(), "data": payload})[0]
    except HTTPException as exc:
        raise ValueError(str(exc.detail).replace("event[0].", "")) from exc
    problem = data_problem(event["name"], event.get("data") or {})
    if problem:
        raise ValueError(problem)
    return event


@router.post("/events", response_class=HTMLResponse, response_model=None)
async def send_event(
    request: Request, name: str = Form(""), data: str = Form("{}"), csrf: str = Form("")
) -> HTMLResponse | RedirectResponse:
    """Send an event typed in the JSON editor; a bad one comes back with the reason."""
    admin_post(request, csrf)
    try:
        event = parse_event(name, data)
    except ValueError as exc:
        return _events_page(
            request, error=str(exc), form_name=name, form_data=data, status_code=400
        )
    ids = await runtime(request).send_events([{"name": event["name"], "data": event["data"]}])
    return RedirectResponse(f"/events?sent={ids[0]}", status_code=303)


@router.post("/events/{internal_id}/replay")
async def replay_event(
    request: Request, internal_id: str, csrf: str = Form("")
) -> RedirectResponse:
    """Send a stored event again (a fresh id, so it is not deduplicated)."""
    admin_post(request, csrf)
    eng = engine(request)
    original = None
    for r in eng.event_runs(internal_id):
        detail = eng.get_run(r.run_id)
        if detail and detail.event:
            original = detail.event
            break
    if original is None:
        raise HTTPException(404, "event not found or it started no run; send it from the form")
    ids = await runtime(request).send_events(
        [{"name": original["name"], "data": original.get("data") or {}}]
    )
    return RedirectResponse(f"/events?sent={ids[0]}", status_code=303)
