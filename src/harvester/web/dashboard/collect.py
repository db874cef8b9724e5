"""Collection on the first page: the last discovery run and how it ended, when the next
one is due, whether one runs now, and a "Collect now" button that sends the discovery
event (a CSRF-checked form like every other) and then shows that run's summary — with
the reason when it found nothing, since ``videos +0`` alone leaves an analyst guessing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from harvester.clock import unix_now
from harvester.jobs.events import DISCOVERY_REQUESTED
from harvester.web.dashboard.context import admin_post, runtime
from harvester.web.dashboard.render import page

router = APIRouter()
CRON_EVERY_S = 600  # discover-videos: cron */10 * * * * (UTC)
DISCOVERY_TAIL = "discover-videos"
ACTIVE = ("QUEUED", "RUNNING", "SLEEPING", "WAITING")


@dataclass(frozen=True)
class Collection:
    """What the collection card shows."""

    last: dict[str, Any] | None  # the newest discovery run, with output/error
    running: bool
    next_due: float
    summary: str
    reason: str | None


def _discovery_id(engine: Any) -> str | None:
    return next(
        (f.id for f in engine.list_functions() if f.id.endswith("-" + DISCOVERY_TAIL)), None
    )


def next_due(now: float) -> float:
    """The next */10 cron time after ``now`` (unix seconds, UTC)."""
    return (math.floor(now / CRON_EVERY_S) + 1) * CRON_EVERY_S


def summary_of(
    run: dict[str, Any] | None, kill_on: bool, stale_hours: float
) -> tuple[str, str | None]:
    """One line of what the run did, and why it found nothing when it did."""
    if run is None:
        return "no discovery run yet", "the first one starts at the next cron time, or now"
    status = run["status"]
    if status in ACTIVE:
        return f"{status.lower()}…", None
    if status != "COMPLETED":
        error = (run.get("error") or {}).get("message") or status.lower()
        return f"{status.lower()}: {error}", None
    raw = run.get("output")
    out: dict[str, Any] = raw if isinstance(raw, dict) else {}
    ads, videos = int(out.get("ads") or 0), int(out.get("videos") or 0)
    harvests = int(out.get("harvests_requested") or 0)
    line = f"ads {ads} · videos {videos} · harvests requested {harvests}"
    return line, _why_nothing(ads, videos, harvests, kill_on, stale_hours)


def _why_nothing(
    ads: int, videos: int, harvests: int, kill_on: bool, stale_hours: float
) -> str | None:
    if harvests:
        return None
    if kill_on:
        return "the kill switch is on: no TikTok call is made (turn it off on Admin)"
    if not ads:
        return "the ad library had no ads in the window for the configured regions"
    if not videos:
        return "ads were found, but none is linked to a TikTok post yet"
    return (
        f"nothing new since the last cycle: every video found was harvested less than "
        f"{stale_hours:g} h ago, or the day's quota is spent (see the quota card)"
    )


async def collection(request: Request) -> Collection | None:
    """The card's facts (None without the embedded engine)."""
    rt = runtime(request)
    eng = rt.engine
    if eng is None:
        return None
    fn = _discovery_id(eng)
    runs = eng.list_runs(fn=fn, limit=5).data if fn else []
    running = any(r.status in ACTIVE for r in runs)
    last = eng.get_run(runs[0].run_id).to_json() if runs else None
    kill = await rt.guard.kill_switch.state()
    text, reason = summary_of(last, bool(kill.get("on")), rt.settings.stale_after_hours)
    return Collection(last, running, next_due(unix_now()), text, reason)


@router.post("/collect")
async def collect_now(request: Request, csrf: str = Form("")) -> RedirectResponse:
    """Send the discovery event, as the cron does, then show its run."""
    admin_post(request, csrf)
    # Whole seconds, rounded down: the run's start is stamped within the same moment, and
    # a since rounded up (``:.3f``) once left it out, so the page waited for ever.
    since = math.floor(unix_now())
    await runtime(request).send_events([{"name": DISCOVERY_REQUESTED, "data": {}}])
    return RedirectResponse(f"/collect?since={since}", status_code=303)


@router.get("/collect", response_class=HTMLResponse)
async def collect_page(request: Request, since: float = Query(0.0, ge=0, le=1e11)) -> HTMLResponse:
    """The discovery run started at or after ``since``: its progress, then its summary."""
    rt = runtime(request)
    eng = rt.engine
    fn = _discovery_id(eng) if eng is not None else None
    runs = eng.list_runs(fn=fn, since=since, limit=1).data if eng is not None and fn else []
    run = eng.get_run(runs[0].run_id).to_json() if runs else None
    kill = await rt.guard.kill_switch.state()
    text, reason = summary_of(run, bool(kill.get("on")), rt.settings.stale_after_hours)
    waiting = run is None or run["status"] in ACTIVE
    if run is None:
        text, reason = "waiting for the discovery run to start…", None
    return page(
        request, "collect.html", run=run, summary=text, reason=reason, waiting=waiting, since=since
    )
