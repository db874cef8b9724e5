"""TikTok and the worker answering garbage: the step fails with a readable
SourceResponseError (the run retries); nothing recurses, nothing is half-parsed."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from harvester.engine.executor import Reply, outcome
from harvester.tiktok import ResearchApiSource, SourceResponseError, WebhookWorkerSource
from harvester.tiktok.webhook import HEADER, sign

from .test_webhook import SECRET, _worker_app

HOSTILE = [
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000, "nested deeper than 32"),
    ("truncated", b'{"data": {"ads": [', "not valid JSON"),
    ("NaN", b'{"data": {"ads": []}, "x": NaN}', "NaN"),
    ("duplicate keys", b'{"data": {}, "data": {}}', "duplicate key"),
    ("invalid UTF-8", b'{"data": "\xc3\x28"}', "not UTF-8"),
    ("lone surrogate", b'{"data": "\\udc00"}', "surrogate"),
]
IDS = [h[0] for h in HOSTILE]


def _answering(body: bytes) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(("row", "body", "words"), HOSTILE, ids=IDS)
async def test_tiktok_garbage_is_a_readable_source_error(row: str, body: bytes, words: str) -> None:
    src = ResearchApiSource("http://tiktok", "key", "secret", http=_answering(body))
    with pytest.raises(SourceResponseError, match=words):
        await src.discover_page(region="FR", start=date(2026, 11, 24), end=date(2026, 12, 1))


@pytest.mark.parametrize(("row", "body", "words"), HOSTILE, ids=IDS)
async def test_worker_garbage_is_a_readable_source_error(row: str, body: bytes, words: str) -> None:
    src = WebhookWorkerSource("http://worker/", SECRET, http=_answering(body))
    with pytest.raises(SourceResponseError, match=words):
        await src.ad_detail("1923845247192304")


@pytest.mark.parametrize(("row", "body", "words"), HOSTILE, ids=IDS)
async def test_the_worker_refuses_a_signed_but_hostile_job(
    row: str, body: bytes, words: str
) -> None:
    app = _worker_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://worker",
    ) as c:
        res = await c.post("/", content=body, headers={HEADER: sign(SECRET, body)})
        assert res.status_code == 400 and words in res.json()["detail"]
        assert (await c.get("/")).json() == {"ok": True}  # still serving


@pytest.mark.parametrize(("row", "body", "words"), HOSTILE, ids=IDS)
@pytest.mark.parametrize("status", [200, 206])
def test_a_garbled_sdk_reply_is_a_failed_attempt(
    row: str, body: bytes, words: str, status: int
) -> None:
    done = outcome(Reply(status, {}, body), signing_key=None, dev=True, now=0.0)
    assert done.status == 502 and done.output is None and not done.ops
    assert done.error is not None and words in done.error["message"]
