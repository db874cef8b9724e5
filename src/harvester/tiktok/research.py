"""The official APIs: OAuth client credentials, the Commercial Content API's ad query
(promoted videos) and the Research API's comment list, with quota awareness."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import httpx

from harvester.tiktok.errors import (
    RateLimited,
    SourceAuthError,
    SourceResponseError,
    SourceUnavailable,
)
from harvester.tiktok.models import Ad, AdPage, Comment, CommentPage, parse, promoted_videos

TOKEN_PATH = "/v2/oauth/token/"
AD_QUERY = "/v2/research/adlib/ad/query/"
COMMENT_LIST = "/v2/research/video/comment/list/"
COMMENT_FIELDS = "id,video_id,text,like_count,reply_count,parent_comment_id,create_time"
REFRESH_MARGIN_S = 300.0
TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class ResearchApiSource:
    """A ``Source`` backed by TikTok's official APIs (or the simulator, same wire)."""

    name = "research"

    def __init__(
        self,
        base_url: str,
        client_key: str,
        client_secret: str,
        *,
        http: httpx.AsyncClient | None = None,
        guard: Any = None,
        clock: Callable[[], float] = time.time,
        budget: Any = None,
        deadline: float = 30.0,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._key, self._secret = client_key, client_secret
        self._http = http or httpx.AsyncClient(timeout=TIMEOUT)
        self._guard = guard
        self._clock = clock
        self._token: tuple[str, float] | None = None
        self._budget = budget  # the shared daily quota ledger (guard/quota.py), if any
        self._deadline = deadline  # whole-request limit, whatever the transport

    async def _fetch_token(self) -> str:
        try:
            res = await self._http.post(
                self._base + TOKEN_PATH,
                data={
                    "client_key": self._key,
                    "client_secret": self._secret,
                    "grant_type": "client_credentials",
                },
            )
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"token endpoint unreachable: {exc!r}") from exc
        if res.status_code in (400, 401, 403):
            raise SourceAuthError(
                f"credentials refused ({res.status_code}): check "
                "TIKTOK_CLIENT_KEY / TIKTOK_CLIENT_SECRET"
            )
        body = self._json(res, "token response")
        if "access_token" not in body:
            raise SourceResponseError("token response without access_token")
        ttl = float(body.get("expires_in", 7200))
        # Refresh ahead of expiry, but never sooner than half the token's life.
        self._token = (body["access_token"], self._clock() + ttl - min(REFRESH_MARGIN_S, ttl / 2))
        return str(body["access_token"])

    async def _access_token(self) -> str:
        if self._token and self._token[1] > self._clock():
            return self._token[0]
        return await self._fetch_token()

    async def _spend(self, endpoint: str, records: int | None = None) -> None:
        if self._budget is not None:
            api = "commercial" if endpoint.startswith("ad") else "research"
            if records is None:
                await self._budget.spend_request(api)
            else:
                await self._budget.spend_records(api, records)

    @staticmethod
    def _json(res: httpx.Response, what: str) -> dict[str, Any]:
        try:
            body = res.json()
        except ValueError as exc:
            raise SourceResponseError(f"{what} is not JSON ({len(res.content)} bytes)") from exc
        if not isinstance(body, dict):
            raise SourceResponseError(f"{what} is not a JSON object")
        return body

    async def _send(self, path: str, fields: str, body: dict[str, Any]) -> httpx.Response:
        for attempt in (0, 1):
            token = await self._access_token()
            try:
                res = await asyncio.wait_for(
                    self._http.post(
                        self._base + path,
                        params={"fields": fields},
                        json=body,
                        headers={"Authorization": f"Bearer {token}"},
                    ),
                    self._deadline,
                )
            except (httpx.TimeoutException, TimeoutError) as exc:
                raise SourceUnavailable(f"{path} timed out") from exc
            except httpx.HTTPError as exc:
                raise SourceUnavailable(f"{path} unreachable: {exc!r}") from exc
            if res.status_code == 401 and attempt == 0:
                self._token = None  # access_token_invalid: refresh once and retry
                continue
            return res
        raise SourceAuthError(f"{path}: token refused twice; check the client credentials")

    async def _post(
        self, endpoint: str, path: str, fields: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        async with self._guarded(endpoint):
            await self._spend(endpoint)  # admitted by the guard: counted, then sent
            res = await self._send(path, fields, body)
            if res.status_code == 429:
                retry = float(res.headers.get("retry-after", "60") or 60)
                raise RateLimited(f"{endpoint}: rate limited by TikTok", retry)
            if res.status_code >= 500:
                raise SourceUnavailable(f"{endpoint}: HTTP {res.status_code}")
            payload = self._json(res, f"{endpoint} response")
            err = payload.get("error") or {}
            if res.status_code >= 400 or err.get("code", "ok") != "ok":
                raise SourceResponseError(
                    f"{endpoint}: HTTP {res.status_code} {err.get('code')}: {err.get('message')}"
                )
            data = payload.get("data")
            if not isinstance(data, dict):
                raise SourceResponseError(f"{endpoint}: response without a data object")
            return data

    @contextlib.asynccontextmanager
    async def _guarded(self, endpoint: str) -> AsyncIterator[None]:
        if self._guard is None:
            yield
            return
        async with self._guard.call(endpoint):
            yield

    async def discover_page(
        self,
        *,
        region: str,
        start: date,
        end: date,
        max_count: int = 50,
        search_id: str | None = None,
    ) -> AdPage:
        body: dict[str, Any] = {
            "filters": {
                "ad_published_date_range": {
                    "min": start.strftime("%Y%m%d"),
                    "max": end.strftime("%Y%m%d"),
                },
                "country_code": region,
            },
            "max_count": min(max_count, 50),
        }
        if search_id:
            body["search_id"] = search_id
        data = await self._post("ad/query", AD_QUERY, "ad,advertiser", body)
        ads = [parse(Ad, a, "ad") for a in data.get("ads") or []]
        await self._spend("ad/query", len(ads))
        videos = [v for ad in ads for v in promoted_videos(ad, region)]
        return AdPage(
            videos=videos, has_more=bool(data.get("has_more")), search_id=data.get("search_id")
        )

    async def comment_page(
        self, video_id: str, *, cursor: int = 0, max_count: int = 100
    ) -> CommentPage:
        body = {"video_id": video_id, "max_count": min(max_count, 100), "cursor": cursor}
        data = await self._post("comment/list", COMMENT_LIST, COMMENT_FIELDS, body)
        comments = [parse(Comment, c, "comment") for c in data.get("comments") or []]
        await self._spend("comment/list", len(comments))
        try:
            next_cursor = int(data.get("cursor", cursor + len(comments)))
        except (TypeError, ValueError) as exc:
            raise SourceResponseError("comment/list: cursor is not an integer") from exc
        return CommentPage(
            comments=comments, cursor=next_cursor, has_more=bool(data.get("has_more"))
        )

    async def ping(self) -> None:
        """Reachability without spending research quota: fetch a token."""
        await self._fetch_token()

    async def aclose(self) -> None:
        await self._http.aclose()
