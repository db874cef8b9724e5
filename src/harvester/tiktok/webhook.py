"""A scraping worker behind a webhook.

Contract: the harvester POSTs JSON jobs to ``WORKER_WEBHOOK_URL``:
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
import time
from datetime import date
from typing import Any

import httpx

from harvester.engine import safejson
from harvester.tiktok.errors import RateLimited, SourceResponseError, SourceUnavailable
from harvester.tiktok.models import AdDetail, AdPage, CommentPage, VideoPage, parse

HEADER = "X-Harvester-Signature"
TOLERANCE_S = 300


def sign(secret: str, body: bytes, t: int | None = None) -> str:
    ts = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: float | None = None) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` within the tolerance."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        ts = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else time.time()) - ts) > TOLERANCE_S:
        return False
    return hmac.compare_digest(sign(secret, body, ts), header)


class WebhookWorkerSource:
    name = "webhook"

    def __init__(
        self, url: str, secret: str, http: httpx.AsyncClient | None = None, guard: Any = None
    ) -> None:
        self._url, self._secret = url, secret
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0))
        self._guard = guard

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
        if res.status_code >= 400:
            raise SourceResponseError(f"worker refused the job: HTTP {res.status_code} {res.text}")
        try:
            answer = safejson.loads(res.content)
        except safejson.JSONRejected as exc:
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
