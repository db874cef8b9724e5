"""The whole pipeline on the embedded engine and the simulator: discovery → harvest →
extraction, with faults turned on, dead letters and their replay."""

from __future__ import annotations

import sqlalchemy as sa

from harvester.runtime import run_once, summarize
from harvester.sim.tiktok import Faults, ground_truth
from harvester.store.models import (
    Comment,
    DeadLetter,
    DeadLetterStatus,
    Domain,
    DomainMention,
    PromotedAd,
)

from .conftest import NOW, PipelineFactory

DISCOVER = {"regions": ["FR"], "limit": 12}


def _stored_domains_by_comment(runtime) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        rows = s.execute(
            sa.select(DomainMention.comment_id, Domain.name).join(
                Domain, Domain.id == DomainMention.domain_id
            )
        ).all()
        ids = list(s.scalars(sa.select(Comment.comment_id)))
    found: dict[str, set[str]] = {cid: set() for cid in ids}
    for cid, name in rows:
        found[cid].add(name)
    return found


async def test_cycle_finds_every_planted_domain_once(
    pipeline: PipelineFactory, database_url: str
) -> None:
    # On Postgres the app and the engine share one database, as at scale.
    extra = {} if database_url.startswith("sqlite") else {"database_url": database_url}
    async with pipeline(at=NOW, **extra) as (runtime, _sim):
        summary = await run_once(runtime, DISCOVER, timeout=120)
        # 12 ads: several share their advertiser's campaign post.
        assert summary.videos >= 5 and summary.comments > 0 and summary.domains > 0
        assert summary.failures == 0
        found = _stored_domains_by_comment(runtime)
        missed = {
            cid: sorted(ground_truth(7, cid) - names)
            for cid, names in found.items()
            if ground_truth(7, cid) - names
        }
        assert not missed, f"planted domains not found: {list(missed.items())[:5]}"
        # A second cycle in the same window adds nothing: same videos, same comments.
        again = await run_once(runtime, DISCOVER, timeout=120)
        assert (again.videos, again.comments, again.domains) == (
            summary.videos,
            summary.comments,
            summary.domains,
        )
        with runtime.db.session() as s:
            mentions = s.scalar(sa.select(sa.func.count()).select_from(DomainMention))
            distinct = s.scalar(
                sa.select(sa.func.count()).select_from(
                    sa.select(DomainMention.comment_id, DomainMention.domain_id)
                    .distinct()
                    .subquery()
                )
            )
        assert mentions == distinct


async def test_transient_faults_are_retried_to_completion(pipeline: PipelineFactory) -> None:
    faults = Faults(error_5xx_ratio=0.2, rate_per_minute=None, seed=3)
    async with pipeline(at=NOW, faults=faults) as (runtime, _sim):
        summary = await run_once(runtime, DISCOVER, timeout=180)
        assert summary.comments > 0
        assert summary.failures == 0, "20% of 5xx must be absorbed by 3 retries"


async def test_failures_land_in_dead_letters_and_replay_succeeds(
    pipeline: PipelineFactory,
) -> None:
    from harvester.jobs.operator_actions import replay_dead_letters

    async with pipeline(at=NOW) as (runtime, sim):
        warm = await run_once(runtime, {"regions": ["FR"], "limit": 3}, timeout=120)
        sim.state.faults.error_5xx_ratio = 1.0  # every TikTok call now fails
        summary = await run_once(runtime, {"regions": ["DE"], "limit": 3}, timeout=180)
        assert summary.failures >= 1
        with runtime.db.session() as s:
            letters = list(s.scalars(sa.select(DeadLetter)))
        assert all(dl.error.get("message") for dl in letters)
        sim.state.faults.error_5xx_ratio = 0.0
        replayed = await replay_dead_letters(runtime, None)
        assert replayed == len(letters)
        assert runtime.engine is not None
        await runtime.engine.wait_for_idle(timeout=180)
        with runtime.db.session() as s:
            pending = s.scalar(
                sa.select(sa.func.count())
                .select_from(DeadLetter)
                .where(DeadLetter.status == DeadLetterStatus.PENDING)
            )
        assert pending == 0
        assert summarize(runtime.db).videos >= warm.videos
        with runtime.db.session() as s:
            linked_de = s.scalar(
                sa.select(sa.func.count())
                .select_from(PromotedAd)
                .where(PromotedAd.region_code == "DE", PromotedAd.link_status.is_not(None))
            )
        assert linked_de == 3  # the replayed discovery examined and linked DE's ads


async def test_health_check_records_a_row_and_exports_gauges(pipeline: PipelineFactory) -> None:
    from prometheus_client import REGISTRY

    from harvester.jobs.functions.health import check_and_record
    from harvester.jobs.metrics import export_runs

    async with pipeline(at=NOW) as (runtime, _sim):
        await run_once(runtime, {"regions": ["FR"], "limit": 2}, timeout=120)
        out = await check_and_record(runtime.deps)
        assert runtime.engine is not None
        export_runs(runtime.engine)  # what a scrape of /metrics does
    assert out["status"] == "info", out["problems"]
    assert REGISTRY.get_sample_value("harvester_pipeline_success_ratio") == 1.0
    assert REGISTRY.get_sample_value("harvester_runs", {"window": "1h", "status": "FAILED"}) == 0
    assert REGISTRY.get_sample_value("harvester_bucket_tokens") is not None


async def test_a_small_daily_quota_is_never_exceeded_and_new_videos_go_first(
    pipeline: PipelineFactory,
) -> None:
    from harvester.store.models import Video

    async with pipeline(at=NOW, quota_requests_per_day=7) as (runtime, sim):
        summary = await run_once(runtime, DISCOVER, timeout=120)
        status = runtime.guard.quota.status("research")
        assert summary.failures == 0
        assert status.used_requests <= 7 and status.limit_requests == 7
        assert (
            sim.state.sim.stats["requests"]
            <= 7 + runtime.guard.quota.status("commercial").used_requests
        )
        with runtime.db.session() as s:
            harvested = s.scalar(
                sa.select(sa.func.count())
                .select_from(Video)
                .where(Video.last_harvested_at.is_not(None))
            )
        # Linking may take at most half of the 7 (3 advertisers' video queries); the 4
        # left pay for 2 harvests of up to 2 pages; the rest wait for more quota.
        assert harvested == 2 < summary.videos
