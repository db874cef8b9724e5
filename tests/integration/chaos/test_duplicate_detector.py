"""The chaos bench's duplicate detector can fail: a step made non-idempotent on purpose
(a TikTok fetch done outside ``step.run``, a quota unit spent twice) leaves the tables
as clean as ever, and the detector sees it in the simulator's request log; the
pipeline as it is passes. Small world (one region, a few ads), no process killed."""

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

from harvester.clock import OffsetClock, installed_as
from harvester.jobs import harvest
from harvester.runtime import build_runtime, run_once
from harvester.settings import Settings
from harvester.tiktok.simulator import RequestLog, create_app, read_log

NOW = datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)  # a pinned world: the same ads every run
DISCOVER = {"regions": ["FR"], "limit": 6}


@asynccontextmanager
async def _cycle(tmp_path: Path) -> AsyncIterator[Evidence]:
    """One discovery → harvest → extraction cycle; then what the detector reads."""
    settings = Settings(data_dir=tmp_path, regions="FR", api_rate_per_minute=100_000)
    log = RequestLog(tmp_path / "requests.jsonl")
    with installed_as(OffsetClock(NOW)):
        sim = create_app(seed=7, request_log=log)
        runtime = build_runtime(
            settings,
            engine_config={"retry_base_delay": 0.05, "fire_crons": False},
            source_transport=httpx.ASGITransport(app=sim),
        )
        from harvester.web.app import create_app as create_web_app

        app = create_web_app(runtime)
        try:
            async with app.router.lifespan_context(app):
                await run_once(runtime, DISCOVER, timeout=120)
        finally:
            await runtime.aclose()
            log.close()
    dbs = Databases(settings.effective_database_url, settings.effective_engine_database_url)
    try:
        assert not no_loss(counts(dbs)), counts(dbs)  # the tables see nothing wrong
        yield Evidence(
            requests=list(read_log(log.path)),
            steps=step_history(dbs),
            runs=run_videos(dbs),
            quota=sql_quota(dbs),
            alerts=alert_rows(dbs),
        )
    finally:
        dbs.dispose()


async def test_the_pipeline_as_it_is_passes(tmp_path: Path) -> None:
    async with _cycle(tmp_path) as ev:
        report = check(ev)
    assert report.ok, report.problems
    assert report.figures["pages_fetched"] == report.figures["page_steps"] > 0
    assert report.figures["duplicate_requests"] == 0


async def test_a_fetch_outside_step_run_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = harvest.tiktok_step

    async def leaky(deps: Any, ctx: Any, fn: str, step_id: str, handler: Any) -> Any:
        await handler()  # the planted fault: runs again at every re-entry of the function
        return await real(deps, ctx, fn, step_id, handler)

    monkeypatch.setattr(harvest, "tiktok_step", leaky)
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
