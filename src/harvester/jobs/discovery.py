"""discover-videos: find promoted videos, upsert them, fan out one harvest per video
that is new or stale. The harvest event id (video id + window) makes a re-run add
nothing: the engine treats a repeated event id as the same event."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from typing import Any

import inngest
import pydantic

from harvester.jobs.budget import plan_harvests, spreads_quota
from harvester.jobs.calls import call_tiktok
from harvester.jobs.deps import JobDeps
from harvester.jobs.events import DISCOVERY_REQUESTED, HARVEST_REQUESTED, DiscoveryRequested
from harvester.jobs.metrics import RUNS, VIDEOS_DISCOVERED
from harvester.jobs.steps import tiktok_step, track, tracked_step
from harvester.store.models import JobState
from harvester.store.writes import stale_cutoff, upsert_videos, videos_due_for_harvest
from harvester.tiktok import PromotedVideo

FN_ID = "discover-videos"
PAGE_SIZE = 50
DEFAULT_LOOKBACK_DAYS = 7


def parse_request(event: inngest.Event) -> DiscoveryRequested:
    """Cron runs carry no data; manual requests are validated (bad input fails at once)."""
    if event.name != DISCOVERY_REQUESTED:
        return DiscoveryRequested()
    try:
        return DiscoveryRequested.model_validate(dict(event.data))
    except pydantic.ValidationError as exc:
        raise inngest.NonRetriableError(f"invalid {DISCOVERY_REQUESTED} data: {exc}") from exc


def harvest_window(now: datetime, stale_hours: float) -> str:
    """The slot a harvest belongs to: one harvest per video per staleness period."""
    return str(int(now.timestamp() // (stale_hours * 3600)))


def _video_row(v: Any) -> dict[str, Any]:
    return {
        "video_id": v.video_id,
        "ad_id": v.ad_id,
        "advertiser_name": v.advertiser_name,
        "region_code": v.region_code,
        "url": v.url,
        "username": v.username,
        "description": v.description,
        "create_time": v.create_time,
        "view_count": v.view_count,
        "comment_count": v.comment_count,
    }


async def _discover_region(
    deps: JobDeps, ctx: inngest.Context, region: str, start: date, end: date, budget: int
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    search_id: str | None = None
    page = 0
    while len(found) < budget:

        async def fetch(search_id: str | None = search_id) -> dict[str, Any]:
            res = await call_tiktok(
                "ad/query",
                lambda: deps.source.discover_page(
                    region=region, start=start, end=end, max_count=PAGE_SIZE, search_id=search_id
                ),
            )
            return {
                "videos": [v.model_dump(mode="json") for v in res.videos],
                "has_more": res.has_more,
                "search_id": res.search_id,
            }

        out = await tiktok_step(deps, ctx, FN_ID, f"discover-{region}-{page}", fetch)
        found.extend(out["videos"])
        page += 1
        if not out["has_more"]:
            break
        search_id = out["search_id"]
    return found[:budget]


def build(client: inngest.Inngest, deps: JobDeps) -> inngest.Function[Any]:
    @client.create_function(
        fn_id=FN_ID,
        name="Discover promoted videos",
        retries=3,
        concurrency=[inngest.Concurrency(limit=1)],
        trigger=[
            inngest.TriggerCron(cron="*/10 * * * *"),
            inngest.TriggerEvent(event=DISCOVERY_REQUESTED),
        ],
    )
    async def discover(ctx: inngest.Context) -> dict[str, Any]:
        req = parse_request(ctx.event)
        plan = await tracked_step(deps, ctx, FN_ID, "plan", lambda: _plan(deps, req))
        videos: list[dict[str, Any]] = []
        for region in plan["regions"]:
            budget = req.limit - len(videos)
            if budget <= 0:
                break
            videos += await _discover_region(
                deps,
                ctx,
                region,
                date.fromisoformat(plan["start"]),
                date.fromisoformat(plan["end"]),
                budget,
            )
        due = await tracked_step(
            deps, ctx, FN_ID, "upsert-videos", lambda: _store(deps, videos, plan["stale_before"])
        )
        # Quota planner (issue 14, part B): what this cycle's allowance pays for.
        spread = spreads_quota(ctx.event.name == DISCOVERY_REQUESTED, req.spread_quota)
        planned = functools.partial(plan_harvests, deps, due, plan["stale_before"], spread=spread)
        due = await tracked_step(deps, ctx, FN_ID, "plan-harvests", planned)
        if due:
            await ctx.step.send_event(
                "fan-out-harvests",
                [
                    inngest.Event(
                        id=f"harvest-{vid}-{plan['window']}",
                        name=HARVEST_REQUESTED,
                        data={"video_id": vid, "window": plan["window"]},
                    )
                    for vid in due
                ],
            )
        await tracked_step(deps, ctx, FN_ID, "finish", lambda: _finish(deps, ctx, len(videos), due))
        return {"videos": len(videos), "harvests_requested": len(due), "window": plan["window"]}

    return discover


async def _plan(deps: JobDeps, req: DiscoveryRequested) -> dict[str, Any]:
    now = deps.clock()
    end = req.end or now.date()
    start = req.start or (end - timedelta(days=DEFAULT_LOOKBACK_DAYS))
    if start > end:
        raise inngest.NonRetriableError(f"window start {start} is after end {end}")
    return {
        "regions": req.regions or deps.settings.region_list,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "window": harvest_window(now, deps.settings.stale_after_hours),
        "stale_before": stale_cutoff(now, deps.settings.stale_after_hours).isoformat(),
    }


async def _store(deps: JobDeps, videos: list[dict[str, Any]], stale_before: str) -> list[str]:
    rows = {v["video_id"]: _video_row(PromotedVideo.model_validate(v)) for v in videos}
    with deps.db.session() as s:
        upsert_videos(s, list(rows.values()), deps.clock())
        due = videos_due_for_harvest(s, list(rows), datetime.fromisoformat(stale_before))
    VIDEOS_DISCOVERED.inc(len(rows))
    return due


async def _finish(deps: JobDeps, ctx: inngest.Context, n: int, due: list[str]) -> None:
    track(deps, ctx, FN_ID, "done", JobState.COMPLETED, {"videos": n, "harvests": len(due)})
    RUNS.labels(FN_ID, "completed").inc()
