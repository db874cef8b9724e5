"""Admin pages: kill switch, dead letters with replay, alerts, the log's tail; login for
off-loopback."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from harvester.jobs.operator_actions import replay_dead_letters, set_kill_switch
from harvester.logging_setup import LOG_FILE, tail
from harvester.store.alerts import alerts_page, count_alerts
from harvester.store.job_runs import count_dead_letters, dead_letters_page
from harvester.web.dashboard.context import admin_post, runtime
from harvester.web.dashboard.listing import ListQuery, list_query
from harvester.web.dashboard.render import page
from harvester.web.security import (
    ADMIN_COOKIE,
    check_csrf,
    check_login,
    session_value,
    token_required,
)

router = APIRouter()
LOG_LINES = (50, 200, 500)  # how much of the log the page may show
LOG_LINE_CHARS = 2000  # one line's most characters (a huge event payload stays readable)
# Two lists on one page: their sort and page parameters are named apart (dl_…, al_…).
letters_query = list_query(
    {"id": True, "function": False, "error": False, "attempts": True, "status": False},
    "id",
    prefix="dl_",
)
alerts_query = list_query(
    {"when": True, "severity": False, "message": False, "occurrences": True, "delivered": False},
    "when",
    prefix="al_",
)


@router.get("/admin", response_class=HTMLResponse)
async def admin(
    request: Request,
    status: str = Query("", max_length=16),
    done: str = Query("", max_length=80),
    log_lines: int = Query(LOG_LINES[0], ge=1, le=LOG_LINES[-1]),
    dl: ListQuery = Depends(letters_query),
    al: ListQuery = Depends(alerts_query),
) -> HTMLResponse:
    """Kill switch, dead letters (filter by status), alerts and the log file's tail."""
    rt = runtime(request)
    with rt.db.session() as s:
        dl = dl.counted(count_dead_letters(s, status=status or None))
        letters = dead_letters_page(
            s,
            status=status or None,
            sort=dl.sort,
            descending=dl.descending,
            offset=dl.offset,
            limit=dl.size,
        )
        al = al.counted(count_alerts(s))
        alerts = alerts_page(
            s, sort=al.sort, descending=al.descending, offset=al.offset, limit=al.size
        )
        pending_total = count_dead_letters(s, status="pending")
    return page(
        request,
        "admin.html",
        kill=await rt.guard.kill_switch.state(),
        letters=letters,
        pending=pending_total,
        alerts=alerts,
        dl=dl,
        al=al,
        status=status,
        done=done,
        log_file=rt.settings.data_dir / LOG_FILE,
        log_tail=log_tail(rt.settings.data_dir / LOG_FILE, log_lines),
        log_lines=log_lines,
        log_choices=LOG_LINES,
    )


def log_tail(log_file: Path, lines: int) -> list[str]:
    """The newest ``lines`` lines, newest last, each cut at ``LOG_LINE_CHARS``."""
    return [
        line if len(line) <= LOG_LINE_CHARS else line[:LOG_LINE_CHARS] + " …(cut)"
        for line in tail(log_file, lines)
    ]


@router.post("/admin/kill-switch")
async def kill_switch(
    request: Request,
    on: str = Form(...),
    reason: str = Form("", max_length=500),
    csrf: str = Form(""),
) -> RedirectResponse:
    """Pause (on=1) or resume (on=0) every TikTok call."""
    admin_post(request, csrf)
    turn_on = on == "1"
    await set_kill_switch(runtime(request), turn_on, reason.strip(), "dashboard")
    note = "kill switch on: harvesting paused" if turn_on else "kill switch off: harvesting resumed"
    return RedirectResponse(f"/admin?done={note}", status_code=303)


@router.post("/admin/dead-letters/replay")
async def replay_letters(
    request: Request, dl_id: str = Form(""), csrf: str = Form("")
) -> RedirectResponse:
    """Replay one dead letter (``dl_id``) or every pending one."""
    admin_post(request, csrf)
    ids = [int(dl_id)] if dl_id.isdigit() and len(dl_id) < 19 else None
    n = await replay_dead_letters(runtime(request), ids)
    return RedirectResponse(f"/admin?done=replayed {n} dead letter(s)", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, failed: bool = False) -> HTMLResponse:
    """The admin token form (only needed when bound off loopback)."""
    return page(request, "login.html", failed=failed, required=token_required(request))


@router.post("/login")
def login(request: Request, token: str = Form(""), csrf: str = Form("")) -> RedirectResponse:
    """Check the token; on success set a session cookie derived from it."""
    check_csrf(request, csrf)
    if not check_login(request, token):
        return RedirectResponse("/login?failed=true", status_code=303)
    res = RedirectResponse("/", status_code=303)
    res.set_cookie(ADMIN_COOKIE, session_value(token), httponly=True, samesite="strict")
    return res


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> RedirectResponse:
    """Forget the session cookie."""
    check_csrf(request, csrf)
    res = RedirectResponse("/login", status_code=303)
    res.delete_cookie(ADMIN_COOKIE)
    return res
