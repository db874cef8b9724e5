"""A scraping worker behind a webhook (docs/worker-webhook.md).

Asynchronous contract (comment pages): the job carries ``job_id`` and ``reply_to``; the
worker answers 202 at once and later POSTs a signed ``WorkerResult`` to ``reply_to``,
which the harvester turns into a ``tiktok/worker.result`` event the harvest run waits
for. Synchronous contract (discovery and linking, and jobs without ``reply_to``): the
harvester POSTs JSON jobs to ``WORKER_WEBHOOK_URL``:
``{"kind": "discover", "region", "start", "end", "max_count", "search_id"}``,
``{"kind": "ad_detail", "ad_id"}``,
``{"kind": "advertiser_videos", "username", "start", "end", "cursor", "search_id",
"max_count"}`` or ``{"kind": "comments", "video_id", "cursor", "max_count"}``, signed
with header
``X-Harvester-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>``.
The worker answers with an AdPage / AdDetail / VideoPage / CommentPage JSON object.
Workers refuse signatures older or newer than 5 minutes and any signature seen before
(replay) with 401.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from harvester.clock import unix_now
from harvester.engine import JSONRejected, strict_json_loads
from harvester.tiktok import capabilities as caps
from harvester.tiktok.errors import (
    RateLimited,
    SourceResponseError,
    SourceUnavailable,
    VideoUnavailable,
)
from harvester.tiktok.models import (
    AdDetail,
    AdPage,
    CallGuard,
    CommentPage,
    VideoPage,
    parse,
)

HEADER = "X-Harvester-Signature"
TOLERANCE_S = 300


def sign(secret: str, body: bytes, t: int | None = None) -> str:
    ts = int(unix_now()) if t is None else t
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: float | None = None) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` within the tolerance."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        ts = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else unix_now()) - ts) > TOLERANCE_S:
        return False
    return hmac.compare_digest(sign(secret, body, ts), header)


JOB_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,200}$"
MAX_RESULT_BYTES = 8 * 1024 * 1024


class WorkerResult(BaseModel):
    """What a worker posts back to ``reply_to``: a comment page, or why there is none."""

    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(pattern=JOB_ID_PATTERN)
    ok: bool
    page: CommentPage | None = None
    error: str | None = Field(None, max_length=2000)
    # The video is gone or its comments may not be disclosed: an answer, not a failure
    # (the harvest marks the video with the reason and asks no more).
    unavailable: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _one_of(self) -> WorkerResult:
        if self.ok and (self.page is None) == (self.unavailable is None):
            raise ValueError("ok results carry a page or, for a video that is gone, unavailable")
        if not self.ok and not self.error:
            raise ValueError("failed results carry an error")
        return self


def _detail(res: httpx.Response) -> str:
    """The reason of an error answer: FastAPI's ``{"detail": ...}``, else the text."""
    try:
        body = res.json()
    except ValueError:
        return res.text
    return str(body.get("detail", "")) if isinstance(body, dict) else res.text


class WebhookWorkerSource:
    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        http: httpx.AsyncClient | None = None,
        guard: CallGuard | None = None,
        callback_url: str | None = None,
    ) -> None:
        self._url, self._secret = url, secret
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0))
        self._guard = guard
        # Where workers post results: set, comment pages go asynchronously (submit()).
        self.callback_url = callback_url

    @property
    def capabilities(self) -> caps.Capabilities:
        """Comment pages come back later, by callback, when a reply-to URL is set."""
        return caps.WEBHOOK.answering_by_callback(self.callback_url is not None)

    async def submit_comments(
        self, job_id: str, video_id: str, *, cursor: int = 0, max_count: int = 100
    ) -> None:
        """Send a comment-page job the worker answers later at ``callback_url``."""
        job = {
            "kind": "comments",
            "job_id": job_id,
            "reply_to": self.callback_url,
            "video_id": video_id,
            "cursor": cursor,
            "max_count": max_count,
        }
        await self._guarded_job("comment/list", job)

    async def _job(self, job: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(job, default=str).encode()
        try:
            res = await self._http.post(
                self._url,
                content=body,
                headers={HEADER: sign(self._secret, body), "Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"worker unreachable: {exc!r}") from exc
        if res.status_code == 429:
            raise RateLimited("worker rate limited", float(res.headers.get("retry-after", 60)))
        if res.status_code >= 500:
            raise SourceUnavailable(f"worker HTTP {res.status_code}")
        if res.status_code == 410:  # the video is gone or its comments may not be shown
            reason = _detail(res)[:500] or "unavailable"
            raise VideoUnavailable(f"worker: {reason}", reason)
        if res.status_code >= 400:
            raise SourceResponseError(f"worker refused the job: HTTP {res.status_code} {res.text}")
        try:
            answer = strict_json_loads(res.content)
        except JSONRejected as exc:
            raise SourceResponseError(f"worker answer is not JSON: {exc}") from exc
        if not isinstance(answer, dict):
            raise SourceResponseError("worker answer is not a JSON object")
        return answer

    async def _guarded_job(self, endpoint: str, job: dict[str, Any]) -> dict[str, Any]:
        if self._guard is None:
            return await self._job(job)
        async with self._guard.call(endpoint):
            return await self._job(job)

    async def discover_page(
        self,
        *,
        region: str,
        start: date,
        end: date,
        max_count: int = 50,
        search_id: str | None = None,
    ) -> AdPage:
        data = await self._guarded_job(
            "ad/query",
            {
                "kind": "discover",
                "region": region,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "max_count": max_count,
                "search_id": search_id,
            },
        )
        return parse(AdPage, data, "worker ad page")  # type: ignore[no-any-return]

    async def ad_detail(self, ad_id: str) -> AdDetail:
        data = await self._guarded_job("ad/detail", {"kind": "ad_detail", "ad_id": ad_id})
        return parse(AdDetail, data, "worker ad detail")  # type: ignore[no-any-return]

    async def advertiser_videos(
        self,
        username: str,
        *,
        start: date,
        end: date,
        cursor: int = 0,
        search_id: str | None = None,
        max_count: int = 100,
    ) -> VideoPage:
        data = await self._guarded_job(
            "video/query",
            {
                "kind": "advertiser_videos",
                "username": username,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "cursor": cursor,
                "search_id": search_id,
                "max_count": max_count,
            },
        )
        return parse(VideoPage, data, "worker video page")  # type: ignore[no-any-return]

    async def comment_page(
        self, video_id: str, *, cursor: int = 0, max_count: int = 100
    ) -> CommentPage:
        data = await self._guarded_job(
            "comment/list",
            {"kind": "comments", "video_id": video_id, "cursor": cursor, "max_count": max_count},
        )
        return parse(CommentPage, data, "worker comment page")  # type: ignore[no-any-return]

    async def ping(self) -> None:
        try:
            await self._http.get(self._url)
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"worker unreachable: {exc!r}") from exc

    async def aclose(self) -> None:
        await self._http.aclose()
