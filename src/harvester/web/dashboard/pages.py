"""The dashboard's pages. Forms POST back here and redirect (no JavaScript needed)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from harvester.engine import queries as runq
from harvester.jobs.operations import replay_dead_letters, set_kill_switch
from harvester.store import queries
from harvester.web.api.routes import KillSwitchChange
from harvester.web.dashboard.render import page
from harvester.web.security import check_csrf, require_admin

router = APIRouter(include_in_schema=False)


def _rt(request: Request) -> Any:
    return request.app.state.runtime


def _engine(request: Request) -> Any:
    engine = _rt(request).engine
    if engine is None:
        raise HTTPException(
            404,
            "runs live in your Inngest server: this app uses "
            "INNGEST_BASE_URL, so open that server's dashboard",
        )
    return engine


def _admin_post(request: Request, csrf: str) -> None:
    require_admin(request)
    check_csrf(request, csrf)


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request) -> HTMLResponse:
    rt = _rt(request)
    with rt.db.session() as s:
        data = queries.overview(s)
        health = queries.latest_health(s)
    stats = runq.queue_stats(rt.engine.store, rt.engine.cfg.clock()) if rt.engine else None
    return page(
        request,
        "overview.html",
        o=data,
        guard=await rt.guard.snapshot(),
        health=health,
        queue=stats,
    )


@router.get("/runs", response_class=HTMLResponse)
def runs(
    request: Request, fn: str | None = None, status: str | None = None, cursor: str | None = None
) -> HTMLResponse:
    engine = _engine(request)
    result = runq.list_runs(
        engine.store, fn=fn or None, status=status or None, cursor=cursor or None, limit=50
    )
    return page(
        request,
        "runs.html",
        runs=result["data"],
        next_cursor=result["next_cursor"],
        fn=fn or "",
        status=status or "",
        functions=sorted(engine.functions),
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run(request: Request, run_id: str) -> HTMLResponse:
    detail = runq.run_detail(_engine(request).store, run_id)
    if detail is None:
        raise HTTPException(404, "run not found")
    steps = detail["steps"]
    t0 = min([s["started_at"] for s in steps] + [detail["created_at"]])
    t1 = max([s["ended_at"] for s in steps] + [detail["ended_at"] or t0 + 0.001])
    span = max(t1 - t0, 0.001)
    for s in steps:
        s["x"] = round((s["started_at"] - t0) / span * 600, 1)
        s["w"] = max(2.0, round((s["ended_at"] - s["started_at"]) / span * 600, 1))
    return page(request, "run.html", run=detail, span=span)


@router.post("/runs/{run_id}/cancel")
def cancel(request: Request, run_id: str, csrf: str = Form("")) -> RedirectResponse:
    _admin_post(request, csrf)
    _engine(request).cancel_run(run_id)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/runs/{run_id}/replay")
def replay(request: Request, run_id: str, csrf: str = Form("")) -> RedirectResponse:
    _admin_post(request, csrf)
    new = _engine(request).replay_run(run_id)
    return RedirectResponse(f"/runs/{new or run_id}", status_code=303)


@router.get("/functions", response_class=HTMLResponse)
def functions(request: Request) -> HTMLResponse:
    engine = _engine(request)
    stats = runq.function_stats(engine.store)
    return page(request, "functions.html", fns=list(engine.functions.values()), stats=stats)


@router.get("/functions/{fn_id}", response_class=HTMLResponse)
def function(request: Request, fn_id: str) -> HTMLResponse:
    engine = _engine(request)
    fn = engine.functions.get(fn_id)
    if fn is None:
        raise HTTPException(404, "function not found")
    recent = runq.list_runs(engine.store, fn=fn_id, limit=20)["data"]
    stats = runq.function_stats(engine.store).get(fn_id, {})
    done = stats.get("COMPLETED", 0) + stats.get("FAILED", 0)
    rate = stats.get("FAILED", 0) / done if done else 0.0
    return page(request, "function.html", fn=fn, runs=recent, stats=stats, failure_rate=rate)


@router.get("/events", response_class=HTMLResponse)
def events(request: Request, error: str = "", sent: str = "") -> HTMLResponse:
    rows = runq.list_events(_engine(request).store, limit=50)
    return page(request, "events.html", events=rows, error=error, sent=sent)


@router.post("/events", response_class=HTMLResponse, response_model=None)
async def send_event(
    request: Request, name: str = Form(""), data: str = Form("{}"), csrf: str = Form("")
) -> Any:
    _admin_post(request, csrf)
    try:
        payload = json.loads(data or "{}")
        if not isinstance(payload, dict):
            raise ValueError("data must be a JSON object")
        if not name.strip() or name.startswith("inngest/"):
            raise ValueError("name is required and may not use the inngest/ namespace")
    except ValueError as exc:
        rows = runq.list_events(_engine(request).store, limit=50)
        return page(
            request,
            "events.html",
            events=rows,
            error=str(exc),
            sent="",
            form_name=name,
            form_data=data,
            status_code=400,
        )
    ids = await _rt(request).send_events([{"name": name.strip(), "data": payload}])
    return RedirectResponse(f"/events?sent={ids[0]}", status_code=303)


@router.get("/domains", response_class=HTMLResponse)
def domains(
    request: Request, q: str = "", new_today: bool = False, after: int | None = None
) -> HTMLResponse:
    with _rt(request).db.session() as s:
        rows = queries.domains(s, q=q or None, new_today=new_today, after=after, limit=50)
    return page(
        request,
        "domains.html",
        domains=rows,
        q=q,
        new_today=new_today,
        next_after=rows[-1]["id"] if len(rows) == 50 else None,
    )


@router.get("/domains/{name}", response_class=HTMLResponse)
def domain(request: Request, name: str) -> HTMLResponse:
    with _rt(request).db.session() as s:
        d = queries.domain_detail(s, name)
    if d is None:
        raise HTTPException(404, "domain not found")
    return page(request, "domain.html", d=d)


@router.get("/videos", response_class=HTMLResponse)
def videos(request: Request, after: str | None = None) -> HTMLResponse:
    with _rt(request).db.session() as s:
        rows = queries.videos(s, after=after, limit=50)
    return page(
        request,
        "videos.html",
        videos=rows,
        next_after=rows[-1]["video_id"] if len(rows) == 50 else None,
    )


@router.get("/videos/{video_id}", response_class=HTMLResponse)
def video(request: Request, video_id: str) -> HTMLResponse:
    with _rt(request).db.session() as s:
        v = queries.video_detail(s, video_id)
    if v is None:
        raise HTTPException(404, "video not found")
    return page(request, "video.html", v=v)


@router.get("/comments", response_class=HTMLResponse)
def comments(request: Request, q: str = "", after: str | None = None) -> HTMLResponse:
    with _rt(request).db.session() as s:
        rows = queries.comments(s, q=q or None, after=after, limit=50)
    return page(
        request,
        "comments.html",
        comments=rows,
        q=q,
        next_after=rows[-1]["comment_id"] if len(rows) == 50 else None,
    )


@router.get("/admin", response_class=HTMLResponse)
async def admin(request: Request) -> HTMLResponse:
    rt = _rt(request)
    with rt.db.session() as s:
        letters, alerts = queries.dead_letters(s), queries.alerts(s)
    return page(
        request,
        "admin.html",
        kill=await rt.guard.kill_switch.state(),
        letters=letters,
        alerts=alerts,
    )


@router.post("/admin/kill-switch")
async def kill_switch(
    request: Request, on: str = Form(...), reason: str = Form(""), csrf: str = Form("")
) -> RedirectResponse:
    _admin_post(request, csrf)
    change = KillSwitchChange(on=on == "1", reason=reason, by="dashboard")
    await set_kill_switch(_rt(request), change.on, change.reason, change.by)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/dead-letters/replay")
async def replay_letters(
    request: Request, dl_id: str = Form(""), csrf: str = Form("")
) -> RedirectResponse:
    _admin_post(request, csrf)
    await replay_dead_letters(_rt(request), [int(dl_id)] if dl_id.isdigit() else None)
    return RedirectResponse("/admin", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return page(request, "login.html")


@router.post("/login")
def login(request: Request, token: str = Form(""), csrf: str = Form("")) -> RedirectResponse:
    check_csrf(request, csrf)
    res = RedirectResponse("/", status_code=303)
    res.set_cookie("harvester_admin", token, httponly=True, samesite="strict")
    return res
