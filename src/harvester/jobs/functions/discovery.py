"""discover-videos: page the ad library, link each new ad to the posts it promotes
(``linking``), upsert them with their links, fan out one harvest per video that is new
or stale. The harvest event id (video id + window) makes a re-run add nothing: the
engine treats a repeated event id as the same event."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from typing import Any

import inngest

from harvester.jobs.calls import call_tiktok
from harvester.jobs.cycle_plan import link_allowance, plan_harvests, spreads_quota
from harvester.jobs.deps import JobDeps
from harvester.jobs.events import DISCOVERY_REQUESTED, HARVEST_REQUESTED, DiscoveryRequested
from harvester.jobs.linking import link_ads
from harvester.jobs.metrics import RUNS, VIDEOS_DISCOVERED
from harvester.jobs.steps import RunScope, event_payload
from harvester.store.ads import record_links, unavailable_videos, upsert_ads
from harvester.store.clock import stale_cutoff
from harvester.store.states import JobState
from harvester.store.videos import upsert_videos, videos_due_for_harvest
from harvester.tiktok import PromotedVideo, SearchExpired

FN_ID = "discover-videos"
PAGE_SIZE = 50
LINK_CHUNK = 25  # ads linked per step (a retry repeats at most this many lookups)
MAX_RESTARTS = 2  # expired search ids tolerated per region and run
DEFAULT_LOOKBACK_DAYS = 7


def parse_request(event: inngest.Event) -> DiscoveryRequested:
    """Cron runs carry no data; manual requests are validated (bad input fails at once)."""
    if event.name != DISCOVERY_REQUESTED:
        return DiscoveryRequested()
    return event_payload(event.data, DiscoveryRequested, DISCOVERY_REQUESTED)


def harvest_window(now: datetime, stale_hours: float) -> str:
    """The slot a harvest belongs to: one harvest per video per staleness period."""
    return str(int(now.timestamp() // (stale_hours * 3600)))


_VIDEO_COLUMNS = [
    "video_id",
    "ad_id",
    "advertiser_name",
    "region_code",
    "url",
    "username",
    "description",
    "create_time",
    "view_count",
    "comment_count",
]


def _video_row(v: PromotedVideo) -> dict[str, Any]:
    return {k: getattr(v, k) for k in _VIDEO_COLUMNS}


async def _ad_page(
    deps: JobDeps, region: str, start: date, end: date, search_id: str | None
) -> dict[str, Any]:
    try:
        res = await call_tiktok(
            "ad/query",
            lambda: deps.source.discover_page(
                region=region, start=start, end=end, max_count=PAGE_SIZE, search_id=search_id
            ),
        )
    except SearchExpired:
        return {"expired": True}
    return res.model_dump(mode="json")  # type: ignore[no-any-return]


async def _discover_region(
    run: RunScope, region: str, start: date, end: date, limit: int
) -> dict[str, list[dict[str, Any]]]:
    """Ads (and posts, for sources that name them) of one region, up to ``limit``."""
    ads: dict[str, dict[str, Any]] = {}
    videos: list[dict[str, Any]] = []
    search_id: str | None = None
    page, restarts = 0, 0
    while len(ads) + len(videos) < limit:

        async def fetch(search_id: str | None = search_id) -> dict[str, Any]:
            return await _ad_page(run.deps, region, start, end, search_id)

        out = await run.tiktok_step(f"discover-{region}-{page}", fetch)
        page += 1
        if out.get("expired"):
            # The cached search is gone: start again; ads already seen are deduplicated.
            restarts += 1
            if restarts > MAX_RESTARTS:
                break
            search_id = None
            continue
        for ad in out["ads"]:
            ads.setdefault(ad["ad_id"], ad)
        videos += out["videos"]
        if not out["has_more"]:
            break
        search_id = out["search_id"]
    return {"ads": list(ads.values())[:limit], "videos": videos[:limit]}


def _within(ads: list[dict[str, Any]], advertisers: int | None) -> list[dict[str, Any]]:
    """The ads of the first ``advertisers`` advertisers (a lookup costs one request per
    advertiser, whatever its number of ads); all of them when unbounded."""
    if advertisers is None:
        return ads
    seen: set[str] = set()
    kept = []
    for ad in ads:
        key = ad.get("business_id") or ad["ad_id"]
        if key not in seen and len(seen) >= advertisers:
            continue
        seen.add(key)
        kept.append(ad)
    return kept


async def _link(
    run: RunScope, region: str, ads: list[dict[str, Any]], *, spread: bool
) -> list[dict[str, Any]]:
    deps = run.deps
    pending = await run.step(f"store-ads-{region}", lambda: _store_ads(deps, ads))
    by_id = {a["ad_id"]: a for a in ads}
    # One advertiser's ads in one chunk share their lookups.
    pending = sorted(pending, key=lambda i: (by_id[i].get("business_id") or "", i))
    # Linking spends the daily quota too: at most its share of this cycle's allowance;
    # the ads left unlinked stay pending and are linked by a later cycle.
    advertisers = await run.step(
        f"link-budget-{region}", lambda: link_allowance(deps, spread=spread)
    )
    pending = [a["ad_id"] for a in _within([by_id[i] for i in pending], advertisers)]
    linked: list[dict[str, Any]] = []
    for n in range(0, len(pending), LINK_CHUNK):
        chunk = [by_id[i] for i in pending[n : n + LINK_CHUNK]]

        async def lookup(chunk: list[dict[str, Any]] = chunk) -> list[dict[str, Any]]:
            return await link_ads(deps, chunk)

        linked += await run.tiktok_step(f"link-{region}-{n // LINK_CHUNK}", lookup)
    return linked


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
        run = RunScope(deps, ctx, FN_ID)
        plan = await run.step("plan", lambda: _plan(deps, req))
        start, end = date.fromisoformat(plan["start"]), date.fromisoformat(plan["end"])
        videos: list[dict[str, Any]] = []
        n_ads = 0
        spread = spreads_quota(ctx.event.name == DISCOVERY_REQUESTED, req.spread_quota)
        # The cap is shared out over the regions: the newest ads of each, not of the first.
        per_region = -(-req.limit // max(1, len(plan["regions"])))
        for region in plan["regions"]:
            found = await _discover_region(run, region, start, end, per_region)
            n_ads += len(found["ads"])
            linked = await _link(run, region, found["ads"], spread=spread)
            videos += found["videos"] + linked
        n_videos = min(req.limit, len({v["video_id"] for v in videos}))
        due = await run.step(
            "upsert-videos", lambda: _store(deps, videos, plan["stale_before"], req.limit)
        )
        # The quota planner: what is left of this cycle's allowance pays for harvests.
        planned = functools.partial(plan_harvests, deps, due, plan["stale_before"], spread=spread)
        due = await run.step("plan-harvests", planned)
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
        await run.step("finish", lambda: _finish(run, n_videos, n_ads, due))
        return {
            "ads": n_ads,
            "videos": n_videos,
            "harvests_requested": len(due),
            "window": plan["window"],
        }

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


async def _store_ads(deps: JobDeps, ads: list[dict[str, Any]]) -> list[str]:
    rows = [
        {
            "ad_id": a["ad_id"],
            "region_code": a.get("region_code"),
            "advertiser_name": a.get("advertiser_name"),
            "business_id": a.get("business_id"),
            "first_shown": date.fromisoformat(a["first_shown"]) if a.get("first_shown") else None,
            "last_shown": date.fromisoformat(a["last_shown"]) if a.get("last_shown") else None,
        }
        for a in ads
    ]
    with deps.db.session() as s:
        return upsert_ads(s, rows, deps.clock())


async def _store(
    deps: JobDeps, videos: list[dict[str, Any]], stale_before: str, limit: int
) -> list[str]:
    """Upsert up to ``limit`` distinct videos with every ad link to them (several ads
    may share one post); returns those due for a harvest."""
    parsed = [PromotedVideo.model_validate(v) for v in videos]
    rows: dict[str, dict[str, Any]] = {}
    for v in parsed:
        if v.video_id not in rows and len(rows) < limit:
            rows[v.video_id] = _video_row(v)
    links = {
        (v.ad_id, v.video_id): {
            "ad_id": v.ad_id,
            "video_id": v.video_id,
            "rule": str(v.link_rule),
            "confidence": v.link_confidence,
        }
        for v in parsed
        if v.ad_id and v.link_rule != "direct" and v.video_id in rows
    }
    with deps.db.session() as s:
        upsert_videos(s, list(rows.values()), deps.clock())
        record_links(s, list(links.values()), deps.clock())
        gone = unavailable_videos(s, list(rows))
        due = videos_due_for_harvest(
            s, [v for v in rows if v not in gone], datetime.fromisoformat(stale_before)
        )
    VIDEOS_DISCOVERED.inc(len(rows))
    return due


async def _finish(run: RunScope, n: int, n_ads: int, due: list[str]) -> None:
    detail = {"ads": n_ads, "videos": n, "harvests": len(due)}
    run.track("done", JobState.COMPLETED, detail)
    RUNS.labels(FN_ID, "completed").inc()
