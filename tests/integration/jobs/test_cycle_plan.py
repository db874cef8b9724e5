"""The planner applied to stored videos: the allowance of the hour, new videos first."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harvester.guard.quota import QuotaLedger, SqlLedger
from harvester.jobs.cycle_plan import allowance, plan_harvests, spreads_quota
from harvester.runtime import build_runtime
from harvester.settings import Settings, SourceKind
from harvester.store.videos import mark_video_harvested, upsert_videos
from harvester.tiktok import WebhookWorkerSource

MIDNIGHT = datetime(2026, 12, 2, tzinfo=UTC)


def test_who_spreads_the_quota() -> None:
    assert spreads_quota(manual=False, asked=None)  # cron
    assert not spreads_quota(manual=True, asked=None)  # `harvester once`
    assert spreads_quota(manual=True, asked=True)  # `harvester up`'s first cycle


async def test_plan_harvests_spreads_and_puts_new_videos_first(tmp_path: Path) -> None:
    runtime = build_runtime(Settings(data_dir=tmp_path))
    try:
        now = MIDNIGHT - timedelta(hours=24)  # the start of a UTC day
        deps = dataclasses.replace(runtime.deps, clock=lambda: now)
        deps.guard.quota = QuotaLedger(
            SqlLedger(runtime.db), "k", 1000, clock=lambda: now.timestamp()
        )
        with runtime.db.session() as s:
            upsert_videos(s, [{"video_id": f"{i:03d}"} for i in range(20)], now)
            for i in range(10):  # half were harvested two days ago: re-harvests
                mark_video_harvested(s, f"{i:03d}", 1, now - timedelta(days=2))
        ids = [f"{i:03d}" for i in range(20)]
        stale = (now - timedelta(hours=24)).isoformat()
        spread = await plan_harvests(deps, ids, stale, spread=True)
        assert len(spread) == 3  # 1000 over 144 cycles: 7 requests, 2 per harvest
        assert all(int(v) >= 10 for v in spread)  # never-harvested videos first
        everything = await plan_harvests(deps, ids, stale, spread=False)
        assert sorted(everything) == ids
        assert allowance(deps, "commercial", spread=True) == 7
        assert allowance(deps, "commercial", spread=False) == 1000
        now += timedelta(hours=23, minutes=55)  # the last cycle of the day takes the rest
        assert allowance(deps, "research", spread=True) == 1000
        worker = WebhookWorkerSource("http://127.0.0.1:9/jobs", "x" * 32)
        webhook = dataclasses.replace(
            deps,
            settings=deps.settings.model_copy(update={"source": SourceKind.WEBHOOK}),
            source=worker,
        )
        # A worker spends no TikTok quota: everything due goes.
        assert await plan_harvests(webhook, ids[:2], stale, spread=True) == ids[:2]
        await worker.aclose()
    finally:
        await runtime.aclose()
