"""harvest-comments: the seed configuration, kept literally — id ``harvest-comments``,
name "Harvest TikTok Comments", retries 3, concurrency 5, throttle 100 per minute —
plus a per-video concurrency key so one video is never harvested twice at once."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

import inngest

from harvester.jobs.calls import call_tiktok
from harvester.jobs.deps import JobDeps
from harvester.jobs.events import EXTRACT_REQUESTED, HARVEST_REQUESTED, HarvestRequested
from harvester.jobs.metrics import COMMENTS_HARVESTED, RUNS
from harvester.jobs.steps import RunScope, event_payload
from harvester.jobs.worker_wait import worker_comment_page
from harvester.store.ads import mark_video_unavailable
from harvester.store.comments import pending_comments, upsert_comments
from harvester.store.states import JobState
from harvester.store.videos import mark_video_harvested
from harvester.tiktok import CommentPage, VideoUnavailable

FN_ID = "harvest-comments"


def _comment_row(c: Any) -> dict[str, Any]:
    return {
        "comment_id": c.id,
        "text": c.text,
        "like_count": c.like_count,
        "reply_count": c.reply_count,
        "parent_comment_id": c.parent_comment_id,
        "create_time": c.create_time,
    }


async def _fetch_and_store(deps: JobDeps, video_id: str, cursor: int) -> dict[str, Any]:
    """One page: fetch, then upsert in one step (a retry re-fetches; upserts dedupe)."""

    async def page_or_reason() -> CommentPage | str:
        try:
            return await deps.source.comment_page(
                video_id, cursor=cursor, max_count=deps.settings.comments_per_page
            )
        except VideoUnavailable as exc:
            return exc.reason

    page = await call_tiktok("comment/list", page_or_reason)
    if isinstance(page, str):
        return _mark_unavailable(deps, video_id, page)
    return _store_page(deps, video_id, page)


def _mark_unavailable(deps: JobDeps, video_id: str, reason: str) -> dict[str, Any]:
    """Deleted, or comments not disclosable: mark the video; a retry cannot help."""
    with deps.db.session() as s:
        mark_video_unavailable(s, video_id, reason, deps.clock())
    return {"unavailable": reason, "new_ids": [], "pending_ids": [], "has_more": False, "cursor": 0}


async def _store_worker_page(deps: JobDeps, video_id: str, page: dict[str, Any]) -> dict[str, Any]:
    """A page an asynchronous worker posted (validated when it arrived)."""
    if "unavailable" in page:
        return _mark_unavailable(deps, video_id, str(page["unavailable"]))
    return _store_page(deps, video_id, CommentPage.model_validate(page))


def _store_page(deps: JobDeps, video_id: str, page: CommentPage) -> dict[str, Any]:
    rows = [_comment_row(c) for c in page.comments]
    with deps.db.session() as s:
        new_ids = upsert_comments(s, video_id, rows, deps.clock())
        # Not "new" but "not yet extracted": a step re-run after a crash finds its own
        # comments already stored, and they must still reach extraction.
        pending = [p[0] for p in pending_comments(s, [r["comment_id"] for r in rows], len(rows))]
    COMMENTS_HARVESTED.inc(len(new_ids))
    return {
        "new_ids": new_ids,
        "pending_ids": sorted(pending),
        "fetched": len(rows),
        "cursor": page.cursor,
        "has_more": page.has_more,
    }


def build(client: inngest.Inngest, deps: JobDeps) -> inngest.Function[Any]:
    @client.create_function(
        fn_id=FN_ID,
        name="Harvest TikTok Comments",
        retries=3,
        concurrency=[
            inngest.Concurrency(limit=5),
            inngest.Concurrency(limit=1, key="event.data.video_id"),
        ],
        throttle=inngest.Throttle(
            limit=deps.settings.harvest_throttle_per_minute, period=timedelta(minutes=1)
        ),
        trigger=inngest.TriggerEvent(event=HARVEST_REQUESTED),
    )
    async def harvest(ctx: inngest.Context) -> dict[str, Any]:
        req = event_payload(ctx.event.data, HarvestRequested, HARVEST_REQUESTED)
        run = RunScope(deps, ctx, FN_ID)
        max_pages = req.max_pages or deps.settings.comment_pages
        new_ids: list[str] = []
        pending: list[str] = []
        cursor, pages, gone = 0, 0, None
        while pages < max_pages:
            if deps.source.capabilities.asynchronous:  # the worker answers later
                page = await worker_comment_page(run, req.video_id, cursor, pages)
                store = functools.partial(_store_worker_page, deps, req.video_id, page)
                out = await run.step(f"page-{pages}", store)
            else:
                out = await run.tiktok_step(
                    f"page-{pages}", functools.partial(_fetch_and_store, deps, req.video_id, cursor)
                )
            pages += 1
            gone = out.get("unavailable")
            new_ids += out["new_ids"]
            pending += out["pending_ids"]
            # Early stop: the last page, or a page already fully processed before.
            if gone or not out["has_more"] or not out["pending_ids"]:
                break
            cursor = out["cursor"]
        if pending:
            await ctx.step.send_event(
                "request-extraction",
                inngest.Event(
                    name=EXTRACT_REQUESTED, data={"video_id": req.video_id, "comment_ids": pending}
                ),
            )
        await run.step(
            "mark-harvested", lambda: _finish(run, req.video_id, len(new_ids), pages, gone)
        )
        done = {"video_id": req.video_id, "pages": pages, "new_comments": len(new_ids)}
        return {**done, "unavailable": gone} if gone else done

    return harvest


async def _finish(run: RunScope, video_id: str, n: int, pages: int, gone: str | None) -> None:
    deps = run.deps
    detail: dict[str, Any] = {"new_comments": n, "pages": pages}
    if gone:  # already marked unavailable, with its reason, by the page step
        detail["unavailable"] = gone
    else:
        with deps.db.session() as s:
            mark_video_harvested(s, video_id, n, deps.clock())
    run.track("done", JobState.COMPLETED, detail)
    RUNS.labels(FN_ID, "completed").inc()
