"""The asynchronous worker contract inside a harvest run: send a signed job (a step),
then ``step.wait_for_event`` for the worker's ``tiktok/worker.result``, matched on the
job id. The result itself is read from the table the results endpoint fills, so a
worker faster than the run (a wait sees only later events) costs one short wait, not
a lost result. No answer within the timeout: a new job; after a few, the run fails."""

from __future__ import annotations

import functools
import json
from datetime import timedelta
from typing import Any

import inngest

from harvester.jobs.calls import call_tiktok
from harvester.jobs.deps import JobDeps
from harvester.jobs.events import WORKER_RESULT
from harvester.jobs.steps import RunScope
from harvester.store.worker_results import get_worker_result

JOBS_PER_PAGE = 3
SHORT_WAITS = 5  # 1, 2, 4, 8, 16 s, then the rest of the timeout in one wait
MIN_WAIT_S = 1.0  # the SDK refuses shorter waits


def wait_slices(total_seconds: float) -> list[timedelta]:
    """The waits of one job: short first, doubling, then the rest of the timeout. A
    result that lands just before a wait starts is found by the check after it."""
    out: list[float] = []
    left = max(total_seconds, MIN_WAIT_S)
    for k in range(SHORT_WAITS):
        step = MIN_WAIT_S * 2**k
        if left - step < MIN_WAIT_S:
            break
        out.append(step)
        left -= step
    return [timedelta(seconds=s) for s in [*out, left]]


async def _collect(deps: JobDeps, job_id: str) -> dict[str, Any] | None:
    with deps.db.session() as s:
        found = get_worker_result(s, job_id)
    if found is None:
        return None
    ok, payload = found
    if ok and payload.get("unavailable"):
        return {"unavailable": payload["unavailable"]}
    return {"page": payload["page"]} if ok else {"error": payload.get("error") or "?"}


async def worker_comment_page(
    run: RunScope, video_id: str, cursor: int, page_no: int
) -> dict[str, Any]:
    """One comment page from the worker, as the JSON of a ``CommentPage``, or
    ``{"unavailable": reason}`` when the video is gone or its comments may not be shown."""
    deps, ctx, fn = run.deps, run.ctx, run.fn
    source: Any = deps.source
    error = "no answer"
    for n in range(JOBS_PER_PAGE):
        sid = f"page-{page_no}-job-{n}"
        job_id = f"{ctx.run_id}.{sid}"  # stable across replays of this run

        async def send(job_id: str = job_id) -> str:
            await call_tiktok(
                "comment/list",
                lambda: source.submit_comments(
                    job_id, video_id, cursor=cursor, max_count=deps.settings.comments_per_page
                ),
            )
            return job_id

        await run.tiktok_step(sid, send)
        for k, wait in enumerate(wait_slices(deps.settings.worker_result_timeout_seconds)):
            await ctx.step.wait_for_event(
                f"{sid}:wait-{k}",
                event=WORKER_RESULT,
                if_exp=f"async.data.job_id == {json.dumps(job_id)}",
                timeout=wait,
            )
            collect = functools.partial(_collect, deps, job_id)
            out = await run.step(f"{sid}:result-{k}", collect)
            if out is None:
                continue
            if "page" in out:
                return dict(out["page"])
            if "unavailable" in out:
                return {"unavailable": out["unavailable"]}
            error = out["error"]
            break  # the worker failed this job: send a new one
    raise inngest.NonRetriableError(
        f"{fn}: the worker gave no comment page for video {video_id} after {JOBS_PER_PAGE} "
        f"jobs ({error}); check `harvester worker` and that it can reach "
        "HARVESTER_WORKER_CALLBACK_URL"
    )
