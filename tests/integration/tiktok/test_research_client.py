"""The official-API client against the simulator: the real client, the real wire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from harvester.guard import DailyQuotaSpent
from harvester.guard.quota import make_ledger
from harvester.sim.tiktok import Faults, create_app, ground_truth
from harvester.store import Database, upgrade
from harvester.tiktok import (
    QuotaExhausted,
    RateLimited,
    ResearchApiSource,
    SourceRejected,
    SourceResponseError,
    SourceUnavailable,
)


class Clock:
    def __init__(self, t: float = 1_790_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _source(
    faults: Faults | None = None, clock: Clock | None = None, **kw: object
) -> tuple[ResearchApiSource, object]:
    clock = clock or Clock()
    sim = create_app(seed=3, faults=faults, clock=clock)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sim), timeout=2.0)
    return ResearchApiSource("http://sim", "key", "secret", http=http, clock=clock, **kw), sim  # type: ignore[arg-type]


TODAY = datetime.fromtimestamp(1_790_000_000, UTC).date()  # UTC, never the machine's zone


async def test_discovery_pages_to_the_end_with_search_id() -> None:
    src, _ = _source()
    seen, search_id, pages = set(), None, 0
    while True:
        page = await src.discover_page(
            region="DE", start=TODAY, end=TODAY, max_count=50, search_id=search_id
        )
        seen |= {a.ad_id for a in page.ads}
        pages += 1
        if not page.has_more:
            break
        search_id = page.search_id
    assert pages > 1 and len(seen) > 50
    assert all(a.region_code == "DE" for a in page.ads)


async def test_an_ad_leads_to_its_advertisers_post_and_its_comments() -> None:
    src, _ = _source()
    page = await src.discover_page(region="FR", start=TODAY - timedelta(days=7), end=TODAY)
    details = [await src.ad_detail(a.ad_id) for a in page.ads[:10]]
    detail = next(d for d in details if d.username)
    assert detail.first_shown and detail.external_url
    start = detail.first_shown - timedelta(days=3)
    posts = await src.advertiser_videos(detail.username or "", start=start, end=detail.first_shown)
    assert posts.videos and all(v.username == detail.username for v in posts.videos)
    vid = "7300000000000000001"
    first = await src.comment_page(vid, max_count=10)
    second = await src.comment_page(vid, cursor=first.cursor, max_count=10)
    assert first.cursor == 10 and len(first.comments) == 10
    assert not {c.id for c in first.comments} & {c.id for c in second.comments}
    assert all(isinstance(ground_truth(3, c.id), frozenset) for c in first.comments)


async def test_token_is_refreshed_before_expiry_and_after_401() -> None:
    clock = Clock()
    src, sim = _source(Faults(token_ttl=600), clock)
    await src.comment_page("7300000000000000001", max_count=1)
    first = src.api._token
    clock.t += 400  # within the refresh margin (half the 600 s life)
    await src.comment_page("7300000000000000001", max_count=1)
    assert src.api._token != first
    sim.state.sim.tokens.clear()  # type: ignore[attr-defined]  # server forgets: 401
    page = await src.comment_page("7300000000000000001", max_count=1)
    assert len(page.comments) == 1


async def test_429_carries_the_servers_retry_after() -> None:
    clock = Clock(1_790_000_010.0)
    src, _ = _source(Faults(rate_per_minute=2), clock)
    await src.comment_page("7300000000000000001", max_count=1)
    await src.comment_page("7300000000000000001", max_count=1)
    with pytest.raises(RateLimited) as err:
        await src.comment_page("7300000000000000001", max_count=1)
    assert err.value.retry_after == 60 - clock.t % 60  # the rest of the minute


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (Faults(error_5xx_ratio=1.0), SourceUnavailable),
        (Faults(malformed_ratio=1.0), SourceResponseError),
        (Faults(truncated_ratio=1.0), SourceResponseError),
        (Faults(timeout_ratio=1.0, timeout_seconds=5), SourceUnavailable),
    ],
)
async def test_faults_map_to_clear_errors(faults: Faults, error: type[Exception]) -> None:
    src, _ = _source(faults, deadline=0.5)
    with pytest.raises(error):
        await src.comment_page("7300000000000000001", max_count=5)


async def test_daily_quota_is_enforced_before_sending(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    upgrade(db)
    clock = Clock()
    ledger = make_ledger(db, None, "key", requests_per_day=2, clock=clock)
    src, sim = _source(clock=clock, quota=ledger)
    for _ in range(2):
        await src.comment_page("7300000000000000001", max_count=3)
    with pytest.raises(DailyQuotaSpent) as err:
        await src.comment_page("7300000000000000001", max_count=3)
    assert err.value.reset_at.hour == 0
    assert sim.state.sim.stats["requests"] == 2  # type: ignore[attr-defined]
    status = ledger.status("research")
    assert (status.used_requests, status.used_records) == (2, 6)


async def test_bad_video_id_is_a_readable_error() -> None:
    src, sim = _source()
    with pytest.raises(SourceRejected, match="int64"):
        await src.comment_page("not-a-video")
    assert sim.state.sim.stats["requests"] == 0  # type: ignore[attr-defined]


def test_simulator_is_deterministic() -> None:
    from harvester.sim.tiktok import iter_comments

    assert list(iter_comments(5, 200)) == list(iter_comments(5, 200))
    assert list(iter_comments(5, 50)) != list(iter_comments(6, 50))


@pytest.mark.parametrize("code", ["rate_limit_exceeded", "daily_quota_limit_exceeded"])
async def test_the_servers_daily_quota_means_wait_until_midnight(code: str) -> None:
    src, _ = _source(Faults(daily_quota=1, daily_quota_code=code))
    await src.comment_page("7300000000000000001", max_count=1)
    with pytest.raises(QuotaExhausted) as err:
        await src.comment_page("7300000000000000001", max_count=1)
    assert err.value.reset_at.hour == 0
