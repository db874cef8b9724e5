"""The webhook worker round trip: harvester → signed job → worker → simulator."""

from __future__ import annotations

import time
from datetime import date, timedelta

import httpx
import pytest

from harvester.sim.tiktok import create_app
from harvester.tiktok import ResearchApiSource, SourceResponseError, WebhookWorkerSource
from harvester.tiktok.webhook import HEADER, sign
from harvester.tiktok.worker import create_worker_app
from tests.one_day import one_day

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
    with one_day() as noon:  # the simulator's ads and the window asked: one day's clock
        await _round_trip(src, noon.date())


async def _round_trip(src: WebhookWorkerSource, today: date) -> None:
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


@pytest.mark.parametrize(
    "job",
    [
        {"kind": "discover", "job_id": "j1", "reply_to": "http://h/worker/results"},
        {"kind": "comments", "job_id": "no spaces", "reply_to": "http://h/worker/results"},
        {"kind": "comments", "job_id": "j1", "reply_to": "file:///etc/passwd"},
    ],
)
async def test_bad_asynchronous_jobs_are_refused(job: dict[str, str]) -> None:
    import json

    body = json.dumps({**job, "video_id": "7300000000000000001"}).encode()
    async with _client(_worker_app()) as c:
        res = await c.post("/", content=body, headers={HEADER: sign(SECRET, body)})
    assert res.status_code == 400


async def test_an_asynchronous_job_is_accepted_then_answered_signed() -> None:
    import asyncio
    import json

    from harvester.tiktok.webhook import WorkerResult, verify

    got: list[httpx.Request] = []
    answered = asyncio.Event()

    def harvester(request: httpx.Request) -> httpx.Response:
        got.append(request)
        answered.set()
        return httpx.Response(202)

    sim = create_app(seed=1)
    backing = ResearchApiSource(
        "http://sim", "k", "s", http=httpx.AsyncClient(transport=httpx.ASGITransport(app=sim))
    )
    app = create_worker_app(
        backing, SECRET, http=httpx.AsyncClient(transport=httpx.MockTransport(harvester))
    )
    src = WebhookWorkerSource(
        "http://worker/", SECRET, http=_client(app), callback_url="http://h/worker/results"
    )
    await src.submit_comments("run.page-0-job-0", "7300000000000000001", max_count=4)
    await asyncio.wait_for(answered.wait(), 10)
    req = got[0]
    assert verify(SECRET, req.content, req.headers[HEADER])
    result = WorkerResult.model_validate(json.loads(req.content))
    assert result.job_id == "run.page-0-job-0" and result.ok and result.page is not None
    assert len(result.page.comments) == 4


def _video_in_state(seed: int, state: str) -> str:
    from harvester.sim.tiktok.world import VIDEO_BASE, post_state

    return next(
        vid for n in range(10_000) if post_state(seed, vid := str(VIDEO_BASE + n * 2)) == state
    )


@pytest.mark.parametrize("state", ["deleted", "undisclosed"])
async def test_a_video_gone_is_an_answer_both_ways(state: str) -> None:
    """A deleted video, or one whose comments may not be disclosed, is no worker failure:
    synchronously the worker answers 410 and the source raises VideoUnavailable (the
    harvest marks the video, no retry); asynchronously it posts ``unavailable``."""
    import asyncio
    import json

    from harvester.tiktok import VideoUnavailable
    from harvester.tiktok.webhook import WorkerResult

    vid = _video_in_state(1, state)
    src = WebhookWorkerSource("http://worker/", SECRET, http=_client(_worker_app()))
    with pytest.raises(VideoUnavailable) as gone:
        await src.comment_page(vid, max_count=5)
    assert gone.value.reason

    got: list[bytes] = []
    answered = asyncio.Event()

    def harvester(request: httpx.Request) -> httpx.Response:
        got.append(request.content)
        answered.set()
        return httpx.Response(202)

    sim = create_app(seed=1)
    backing = ResearchApiSource(
        "http://sim", "k", "s", http=httpx.AsyncClient(transport=httpx.ASGITransport(app=sim))
    )
    app = create_worker_app(
        backing, SECRET, http=httpx.AsyncClient(transport=httpx.MockTransport(harvester))
    )
    async_src = WebhookWorkerSource(
        "http://worker/", SECRET, http=_client(app), callback_url="http://h/worker/results"
    )
    await async_src.submit_comments("run.page-0-job-0", vid, max_count=4)
    await asyncio.wait_for(answered.wait(), 10)
    result = WorkerResult.model_validate(json.loads(got[0]))
    assert result.ok and result.page is None and result.unavailable == gone.value.reason
