"""The runs list (filters, a custom UTC time range, live updates, bulk cancel and
replay); the search box lives in ``pages_search``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from harvester.clock import unix_now
from harvester.engine import RunStatus
from harvester.web.dashboard.context import admin_post, engine
from harvester.web.dashboard.listing import ListQuery, list_query
from harvester.web.dashboard.render import page

router = APIRouter()
STATUSES = tuple(RunStatus)
WINDOWS = {"1h": 3600, "24h": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400}
LIST_KEYS = frozenset({"fn", "status", "window", "since", "until", "sort", "dir", "size"})
RUN_LIST_SORTS = {
    "created": True,
    "run": False,
    "function": False,
    "status": False,
    "duration": True,
    "attempt": True,
}
run_list_query = list_query(RUN_LIST_SORTS, "created")
BULK_MAX = 200  # runs one bulk form may name
TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def parse_utc(value: str, what: str) -> float | None:
    """``2026-12-01T21:30`` (as a datetime-local field sends it, read as UTC) → epoch
    seconds; empty → None; anything else → ValueError saying the expected form."""
    value = value.strip()
    if not value:
        return None
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    raise ValueError(f"{what} {value!r} is not a UTC time like 2026-12-01T21:30")


@dataclass(frozen=True)
class RunRange:
    """The time range the runs list shows: a preset window or a custom since/until."""

    since: float | None
    until: float | None
    error: str | None = None


def run_range(window: str, since: str, until: str, now: float) -> RunRange:
    """Custom bounds win over the preset window; a bad or empty range says why."""
    try:
        lo, hi = parse_utc(since, "from"), parse_utc(until, "to")
    except ValueError as exc:
        return RunRange(None, None, str(exc))
    if lo is not None and hi is not None and hi <= lo:
        return RunRange(None, None, "the range is empty: “to” must be after “from”")
    if lo is None and hi is None and window in WINDOWS:
        lo = now - WINDOWS[window]
    return RunRange(lo, hi)


@router.get("/runs", response_class=HTMLResponse)
def runs(
    request: Request,
    fn: str = Query("", max_length=300),
    status: str = Query("", max_length=16),
    window: str = Query("", max_length=4),
    since: str = Query("", max_length=32),
    until: str = Query("", max_length=32),
    done: str = Query("", max_length=200),
    lq: ListQuery = Depends(run_list_query),
) -> HTMLResponse:
    """Runs newest first (or by a column), filtered by function, status and time; live
    on page one."""
    eng = engine(request)
    rng = run_range(window, since, until, unix_now())
    filters: dict[str, Any] = {
        "fn": fn or None,
        "status": status.upper() if status.upper() in STATUSES else None,
        "since": rng.since,
        "until": rng.until,
    }
    lq = lq.counted(eng.count_runs(**filters))
    found = eng.runs_page(
        **filters, sort=lq.sort, descending=lq.descending, offset=lq.offset, limit=lq.size
    )
    query = {"fn": fn, "status": status.upper(), "window": window, "since": since}
    query |= {"until": until, "sort": lq.sort, "dir": "desc" if lq.descending else "asc"}
    query["size"] = str(lq.size)
    return page(
        request,
        "runs.html",
        status_code=400 if rng.error else 200,
        runs=found,
        lq=lq,
        query=urlencode(query),
        fn=fn,
        status=status.upper(),
        window=window,
        since=since,
        until=until,
        range_error=rng.error,
        live=lq.page == 1 and rng.until is None,
        done=done,
        windows=list(WINDOWS),
        statuses=STATUSES,
        functions=sorted(f.id for f in eng.list_functions()),
    )


@router.post("/runs/bulk")
def bulk(
    request: Request,
    action: str = Form(""),
    run_id: list[str] = Form(default_factory=list),
    back: str = Form(""),
    csrf: str = Form(""),
) -> RedirectResponse:
    """Cancel or replay the runs ticked in the list; says how many it did."""
    admin_post(request, csrf)
    if action not in ("cancel", "replay"):
        raise HTTPException(400, "action must be cancel or replay")
    if not run_id:
        raise HTTPException(400, "tick at least one run first")
    if len(run_id) > BULK_MAX:
        raise HTTPException(400, f"at most {BULK_MAX} runs at once")
    eng = engine(request)
    if action == "cancel":
        n = sum(1 for r in run_id if eng.cancel(r, "cancelled from the dashboard (bulk)"))
        said = f"cancelled {n} of {len(run_id)} run(s)" + (
            f"; {len(run_id) - n} had already finished" if n < len(run_id) else ""
        )
    else:
        n = sum(1 for r in run_id if eng.replay(r) is not None)
        said = f"replayed {n} of {len(run_id)} run(s) as new runs"
    return RedirectResponse(_back_to_runs(back, said), status_code=303)


@router.post("/runs/bulk-cancel")
def bulk_cancel(
    request: Request,
    fn: str = Form(""),
    since: str = Form(""),
    until: str = Form(""),
    window: str = Form(""),
    back: str = Form(""),
    csrf: str = Form(""),
) -> RedirectResponse:
    """Cancel every unfinished run of one function in the list's time range."""
    admin_post(request, csrf)
    eng = engine(request)
    if eng.get_function(fn) is None:
        raise HTTPException(400, "pick a function first: bulk cancel works on one function")
    now = unix_now()
    rng = run_range(window, since, until, now)
    if rng.error:
        raise HTTPException(400, rng.error)
    n = eng.bulk_cancel(fn, rng.since or 0.0, rng.until or now + 1)
    return RedirectResponse(_back_to_runs(back, f"cancelled {n} unfinished run(s) of {fn}"), 303)


def _back_to_runs(back: str, said: str) -> str:
    """The runs list the form came from (never another site), with what was done."""
    kept = [(k, v) for k, v in parse_qsl(back.lstrip("?")) if k in LIST_KEYS]
    return "/runs?" + urlencode([*kept, ("done", said)])
