"""The chaos bench's duplicate detector can fail: a step made non-idempotent on purpose
(a TikTok fetch done outside ``step.run``, a step that fetches and then fails so its
retry fetches again, a quota unit spent twice) leaves the tables as clean as ever, and
the detector sees it in the simulator's request log; the pipeline as it is passes, and
its planted source fault (TikTok refuses one video) raises one alert, posted once.
Small world (one region, a few ads), no process killed, each case well under 60 s."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.chaos_check import Evidence, Kill, check
from bench.chaos_evidence import (
    Databases,
    alert_rows,
    counts,
    no_loss,
    run_videos,
    sql_quota,
    step_history,
)
from bench.chaos_procs import WebhookReceiver
from bench.chaos_run import PLANTED_ALERT, PLANTED_VIDEO

from harvester.clock import OffsetClock, installed_as
from harvester.jobs.events import HARVEST_REQUESTED
from harvester.jobs.functions import harvest
from harvester.jobs.steps import RunScope
from harvester.runtime import build_runtime, run_once
from harvester.settings import Settings
from harvester.sim.tiktok import Faults, RequestLog, create_app, read_log

NOW = datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)  # a pinned world: the same ads every run
DISCOVER = {"regions": ["FR"], "limit": 6}


@asynccontextmanager
async def _cycle(tmp_path: Path) -> AsyncIterator[Evidence]:
    """One discovery → harvest → extraction cycle, plus the harvest of a video TikTok
    refuses (the planted source fault); then what the detector reads."""
    hook = WebhookReceiver()
    settings = Settings(
        data_dir=tmp_path, regions="FR", api_rate_per_minute=100_000, alert_webhook_url=hook.url
    )
    log = RequestLog(tmp_path / "requests.jsonl")
    planted = {"video_id": PLANTED_VIDEO, "window": "planted-fault"}
    with installed_as(OffsetClock(NOW)):
        sim = create_app(seed=7, faults=Faults(refused_videos=[PLANTED_VIDEO]), request_log=log)
        runtime = build_runtime(
            settings,
            engine_config={"retry_base_delay": 0.05, "fire_crons": False},
            source_transport=httpx.ASGITransport(app=sim),
        )
        from harvester.web.app import create_app as create_web_app

        app = create_web_app(runtime)
        try:
            async with app.router.lifespan_context(app):
                await runtime.send_events([{"name": HARVEST_REQUESTED, "data": planted}])
                await run_once(runtime, DISCOVER, timeout=120)
        finally:
            await runtime.aclose()
            log.close()
            hook.close()
    dbs = Databases(settings.effective_database_url, settings.effective_engine_database_url)
    try:
        c = counts(dbs)
        assert not no_loss(c, planted_failures=1), c  # the tables see nothing wrong
        yield Evidence(
            requests=list(read_log(log.path)),
            steps=step_history(dbs),
            runs=run_videos(dbs),
            quota=sql_quota(dbs),
            alerts=alert_rows(dbs),
            webhook_posts=list(hook.posts),
            planted_videos=frozenset({PLANTED_VIDEO}),
            expected_alerts=(PLANTED_ALERT,),
        )
    finally:
        dbs.dispose()


async def test_the_pipeline_as_it_is_passes(tmp_path: Path) -> None:
    async with _cycle(tmp_path) as ev:
        report = check(ev)
    assert report.ok, report.problems
    assert report.figures["pages_fetched"] == report.figures["page_steps"] > 0
    assert report.figures["duplicate_requests"] == 0
    # the planted fault's alert: stored once, posted to the webhook once
    assert report.figures["alerts_by_key"] == {PLANTED_ALERT: 1}
    assert report.figures["webhook_posts"] == 1


async def test_a_step_that_repeats_its_side_effect_on_retry_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = harvest._fetch_and_store
    failed_once: set[tuple[str, int]] = set()

    async def not_idempotent(deps: Any, video_id: str, cursor: int) -> Any:
        out = await real(deps, video_id, cursor)  # the side effect: a page fetched
        if (video_id, cursor) not in failed_once:  # the planted fault: then it fails
            failed_once.add((video_id, cursor))
            raise RuntimeError("planted: the step failed after its side effect")
        return out

    monkeypatch.setattr(harvest, "_fetch_and_store", not_idempotent)
    async with _cycle(tmp_path) as ev:
        report = check(ev)
    assert not report.ok
    assert report.figures["duplicate_requests"] >= report.figures["page_steps"] > 0
    assert any("answered twice with no kill between" in p for p in report.problems)


async def test_a_fetch_outside_step_run_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = RunScope.tiktok_step

    async def leaky(run: RunScope, step_id: str, handler: Any) -> Any:
        await handler()  # the planted fault: runs again at every re-entry of the function
        return await real(run, step_id, handler)

    monkeypatch.setattr(RunScope, "tiktok_step", leaky)
    async with _cycle(tmp_path) as ev:
        report = check(ev)
    assert not report.ok
    assert report.figures["duplicate_requests"] > 0
    assert any("answered twice with no kill between" in p for p in report.problems)


async def test_a_quota_unit_spent_twice_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harvester.guard.quota import QuotaLedger

    real = QuotaLedger.spend_request

    async def twice(self: QuotaLedger, api: str) -> None:
        await real(self, api)
        await real(self, api)  # the planted fault: a counter incremented twice

    monkeypatch.setattr(QuotaLedger, "spend_request", twice)
    async with _cycle(tmp_path) as ev:
        report = check(ev)
    assert any("quota units spent with no request" in p for p in report.problems)


def _page(t: float, video: str = "71") -> dict[str, Any]:
    return {"endpoint": "comment/list", "key": f"comment/list:{video}:0", "video_id": video,
            "cursor": "0", "t": t, "api": "research", "status": 200, "records": 3}  # fmt: skip


def test_a_refetch_passes_only_after_a_kill_of_its_own_run() -> None:
    runs = {"r1": ("harvest-comments", "71"), "r2": ("harvest-comments", "72")}
    steps = [{"run_id": "r1", "step_id": "s0", "name": "page-0", "op": "StepRun"}]
    base = {"requests": [_page(10.0), _page(20.0)], "steps": steps, "runs": runs}
    quota = {"research": (2, 6)}
    own = Kill(1, 15.0, "engine-1", ("harvest",), frozenset({"r1"}))
    other = Kill(1, 15.0, "engine-1", ("harvest",), frozenset({"r2"}))
    late = Kill(1, 25.0, "engine-1", ("harvest",), frozenset({"r1"}))
    assert check(Evidence(**base, kills=[own], quota=quota)).ok
    for kills in ([], [other], [late]):
        report = check(Evidence(**base, kills=kills, quota=quota))
        assert report.figures["duplicate_requests"] == 1, kills


def _alert_evidence(posts: list[str]) -> Evidence:
    row = {"key": PLANTED_ALERT, "severity": "critical", "message": "harvest-comments failed",
           "created_at": NOW, "occurrences": 1, "delivered": True}  # fmt: skip
    return Evidence(requests=[], steps=[], runs={}, alerts=[row], webhook_posts=posts,
                    expected_alerts=(PLANTED_ALERT,))  # fmt: skip


def test_the_planted_alert_must_be_posted_exactly_once() -> None:
    text = "[CRITICAL] harvest-comments failed"
    assert check(_alert_evidence([text])).ok
    for posts in ([], [text, text]):
        problems = check(_alert_evidence(posts)).problems
        assert any(PLANTED_ALERT in p for p in problems), posts
