"""``HARVESTER_SOURCE=research`` against a loopback server that answers exactly like
the reference's examples: one cycle finds the promoted post through the linking path,
harvests its comments, reports domains, stops paging and sends nothing the reference
would refuse, within a small daily budget."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from harvester.runtime import build_runtime, run_once
from harvester.settings import Settings, SourceKind
from harvester.store.models import (
    AdDomain,
    AdVideoLink,
    DeadLetter,
    Domain,
    HarvestStatus,
    JobState,
    JobStatus,
    LinkStatus,
    PromotedAd,
    Video,
)
from harvester.tiktok import InMemoryQuota, ResearchApiSource
from harvester.web.app import create_app

from ..tiktok.reference import Reference
from .conftest import FAST_ENGINE

VIDEO = "7231338487075638570"
AD_QUERY = "/v2/research/adlib/ad/query/"
DATA_REQUESTS = 6  # 2 ad pages, 2 ad details, 1 video query, 1 comment page


@asynccontextmanager
async def _runtime(tmp_path: Path, ref: Reference, budget: InMemoryQuota) -> AsyncIterator[Any]:
    settings = Settings(
        data_dir=tmp_path,
        source=SourceKind.RESEARCH,
        regions="IT",
        api_rate_per_minute=100_000,
        tiktok_client_key="key",
        tiktok_client_secret="secret",  # type: ignore[arg-type]
    )
    source = ResearchApiSource(
        settings.tiktok_api_base_url,
        "key",
        "secret",
        http=httpx.AsyncClient(transport=httpx.ASGITransport(app=ref.app())),
        quota=budget,
    )
    runtime = build_runtime(settings, engine_config=FAST_ENGINE, source=source)
    app = create_app(runtime)
    try:
        async with app.router.lifespan_context(app):
            yield runtime, app
    finally:
        await runtime.aclose()


async def test_one_cycle_on_the_reference_examples(tmp_path: Path) -> None:
    ref = Reference()
    settings = Settings(
        data_dir=tmp_path,
        source=SourceKind.RESEARCH,  # HARVESTER_SOURCE=research, through the factory
        regions="IT",
        api_rate_per_minute=100_000,
        tiktok_client_key="key",
        tiktok_client_secret="secret",  # type: ignore[arg-type]
        quota_requests_per_day=4,  # a small daily quota per API: enough, but only just
    )
    transport = httpx.ASGITransport(app=ref.app())
    runtime = build_runtime(settings, engine_config=FAST_ENGINE, source_transport=transport)
    assert isinstance(runtime.source, ResearchApiSource)
    budget = runtime.source.api.quota
    assert budget is runtime.guard.quota  # the shared, persistent ledger
    app = create_app(runtime)
    try:
        async with app.router.lifespan_context(app):
            summary = await run_once(runtime, {"regions": ["IT"], "limit": 10}, timeout=120)
            web = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            video = (await web.get(f"/api/v1/videos/{VIDEO}")).json()
            page = (await web.get(f"/videos/{VIDEO}")).text
    finally:
        await runtime.aclose()
    assert not ref.rejected, ref.rejected
    assert summary.failures == 0
    assert summary.videos == 1 and summary.comments == 3
    paths = [p.rsplit("/", 2)[-2] for p, _, _ in ref.requests]
    assert paths.count("query") == 3  # ad pages stop at has_more "false"; one video query
    assert len(ref.requests) == DATA_REQUESTS
    assert runtime.guard.quota.status("research").used_requests == 2
    with runtime.db.session() as s:
        domains = set(s.scalars(sa.select(Domain.name)))
        link = s.scalars(sa.select(AdVideoLink)).one()
        outcomes = dict(
            s.execute(sa.select(PromotedAd.ad_id, PromotedAd.link_status)).tuples().all()
        )
        ad_domains = s.scalar(sa.select(sa.func.count()).select_from(AdDomain))
    assert {"awesomefood.it", "snack-deals.com"} <= domains  # the redacted email gives none
    assert (link.video_id, link.rule) == (VIDEO, "account_window")
    assert outcomes == {
        "1923845247192304": LinkStatus.LINKED,
        "1923845247192305": LinkStatus.NO_ACCOUNT,
    }
    assert ad_domains == 1  # ad.external_url, its own mention kind
    # The link is shown where users look: the JSON API and the video page.
    assert [(x["ad_id"], x["rule"], x["confidence"]) for x in video["links"]] == [
        ("1923845247192304", "account_window", 0.9)
    ]
    assert video["ad_domains"] == ["awesomefood.it"]
    assert "account_window" in page and "1923845247192304" in page


async def test_a_spent_quota_waits_instead_of_failing(tmp_path: Path) -> None:
    ref = Reference()
    # Three commercial requests a day: two ad pages and one ad detail.
    async with _runtime(tmp_path, ref, InMemoryQuota(3)) as (runtime, _app):
        summary = await run_once(runtime, {"regions": ["IT"], "limit": 10}, timeout=120)
        with runtime.db.session() as s:
            states = set(s.scalars(sa.select(JobStatus.state)))
    commercial = [b for p, _, b in ref.requests if "/adlib/" in p]
    assert len(commercial) == 3  # the second ad's detail was never sent
    assert summary.failures == 0 and summary.videos == 0
    assert JobState.FAILED not in states  # discovery sleeps until 00:00 UTC


async def test_expired_search_restarts_and_unavailable_comments_mark_the_video(
    tmp_path: Path,
) -> None:
    ref = Reference()
    ref.then(AD_QUERY, "ad_query_page1", "error_search_id_expired")
    ref.then("/v2/research/video/comment/list/", "error_comments_not_disclosed")
    async with _runtime(tmp_path, ref, InMemoryQuota(100)) as (runtime, _app):
        summary = await run_once(runtime, {"regions": ["IT"], "limit": 10}, timeout=120)
        with runtime.db.session() as s:
            video = s.get(Video, VIDEO)
            assert video is not None
            status, reason = video.harvest_status, video.harvest_reason
    assert summary.failures == 0
    ad_pages = [b.get("search_id") for p, _, b in ref.requests if p == AD_QUERY]
    assert ad_pages[:3] == [None, "20230501124205358FF99E4D6D1294A2A7", None]  # restarted
    comment_calls = [p for p, _, _ in ref.requests if p.endswith("comment/list/")]
    assert len(comment_calls) == 1  # no retry
    assert (status, reason) == (HarvestStatus.UNAVAILABLE, "comments_not_disclosable")


async def test_a_missing_scope_fails_the_run_at_once_naming_the_scope(tmp_path: Path) -> None:
    ref = Reference()
    ref.then(AD_QUERY, "error_scope_not_authorized")
    async with _runtime(tmp_path, ref, InMemoryQuota(100)) as (runtime, _app):
        summary = await run_once(runtime, {"regions": ["IT"], "limit": 10}, timeout=120)
        with runtime.db.session() as s:
            letters = list(s.scalars(sa.select(DeadLetter)))
    assert summary.failures == 1
    assert len(ref.requests) == 1  # never retried
    assert "research.adlib.basic" in str(letters[0].error)
