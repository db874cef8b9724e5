"""The webhook worker round trip: harvester → signed job → worker → simulator."""

from __future__ import annotations

import time
from datetime import date, timedelta

import httpx
import pytest

from harvester.tiktok import ResearchApiSource, SourceResponseError, WebhookWorkerSource
from harvester.tiktok.simulator import create_app
from harvester.tiktok.webhook import HEADER, sign
from harvester.tiktok.worker import create_worker_app

SECRET = "test-secret"


def _worker_app() -> object:
    sim = create_app(seed=1)
    backing = ResearchApiSource(
        "http://sim", "k", "s", http=httpx.AsyncClient(transport=httpx.ASGITransport(app=sim))
    )
    return create_worker_app(backing, SECRET)


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://worker",
    )


async def test_round_trip_returns_pages() -> None:
    src = WebhookWorkerSource("http://worker/", SECRET, http=_client(_worker_app()))
    today = date.today()
    page = await src.discover_page(region="FR", start=today - timedelta(days=7), end=today)
    assert page.ads  # an official backing source pages ads (posts come from linking)
    details = [await src.ad_detail(a.ad_id) for a in page.ads[:10]]
    detail = next(d for d in details if d.username)
    assert detail.first_shown is not None
    posts = await src.advertiser_videos(
        detail.username or "", start=detail.first_shown - timedelta(days=3), end=today
    )
    assert posts.videos and posts.videos[0].username == detail.username
    comments = await src.comment_page("7300000000000000002", max_count=5)
    assert len(comments.comments) == 5


async def test_wrong_secret_is_refused() -> None:
    src = WebhookWorkerSource("http://worker/", "other", http=_client(_worker_app()))
    with pytest.raises(SourceResponseError, match="401"):
        await src.comment_page("7300000000000000001")


@pytest.mark.parametrize("age", [400, -400])
async def test_stale_or_future_timestamps_are_refused(age: int) -> None:
    body = b'{"kind": "comments", "video_id": "7300000000000000001"}'
    async with _client(_worker_app()) as c:
        res = await c.post(
            "/", content=body, headers={HEADER: sign(SECRET, body, int(time.time()) - age)}
        )
    assert res.status_code == 401


async def test_replayed_signature_is_refused() -> None:
    body = b'{"kind": "comments", "video_id": "7300000000000000001", "max_count": 1}'
    headers = {HEADER: sign(SECRET, body)}
    async with _client(_worker_app()) as c:
        assert (await c.post("/", content=body, headers=headers)).status_code == 200
        assert (await c.post("/", content=body, headers=headers)).status_code == 401
