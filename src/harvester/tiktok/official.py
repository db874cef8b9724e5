"""The official APIs' transport: OAuth client credentials and the one choke point
every data request goes through (quota, guard, token refresh, error taxonomy)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from harvester.clock import PROCESS_CLOCK, utcnow
from harvester.engine import JSONRejected, strict_json_loads
from harvester.tiktok.errors import (
    QuotaExhausted,
    RateLimited,
    SearchExpired,
    SourceAuthError,
    SourceRejected,
    SourceResponseError,
    SourceUnavailable,
    VideoUnavailable,
)
from harvester.tiktok.models import CallGuard
from harvester.tiktok.quota import COMMERCIAL, InMemoryQuota, QuotaSpender, next_reset

TOKEN_PATH = "/v2/oauth/token/"
REFRESH_MARGIN_S = 300.0
DEFAULT_RETRY_S = 60.0  # no Retry-After is documented for 429
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
SCOPES = {COMMERCIAL: "research.adlib.basic", "research": "research.data.basic"}

_SEARCH_GONE = re.compile(r"search[ _]?id.*(invalid|expired)", re.IGNORECASE)
_NOT_DISCLOSED = re.compile(r"not allowed to be disclosed|not disclos", re.IGNORECASE)
_DELETED = re.compile(r"(video|item).*(deleted|does not exist|not exist|removed)", re.I)


def _json(res: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = strict_json_loads(res.content)
    except JSONRejected as exc:
        raise SourceResponseError(f"{what} is not JSON ({len(res.content)} bytes): {exc}") from exc
    if not isinstance(body, dict):
        raise SourceResponseError(f"{what} is not a JSON object")
    return body


def classify(api: str, endpoint: str, status: int, err: dict[str, Any], headers: Any) -> None:
    """Raise the taxonomy's error for a non-ok answer (see ``errors``)."""
    code = str(err.get("code") or "")
    msg = str(err.get("message") or "")
    what = f"{endpoint}: HTTP {status} {code}: {msg}".rstrip(": ")
    if status == 429 or code in ("rate_limit_exceeded", "daily_quota_limit_exceeded"):
        if code == "daily_quota_limit_exceeded" or "daily" in msg.lower():
            raise QuotaExhausted(what, next_reset(utcnow()))
        retry = headers.get("retry-after") if headers is not None else None
        raise RateLimited(what, float(retry) if retry else DEFAULT_RETRY_S)
    if status >= 500:
        raise SourceUnavailable(what)
    if code == "scope_not_authorized":
        scope = SCOPES.get(api, api)
        raise SourceRejected(
            f"{what} — the client key lacks the scope {scope}; apply for it on "
            "developers.tiktok.com or switch HARVESTER_SOURCE",
            code,
        )
    if _SEARCH_GONE.search(msg):
        raise SearchExpired(what)
    if _NOT_DISCLOSED.search(msg):
        raise VideoUnavailable(what, "comments_not_disclosable")
    if endpoint == "comment/list" and _DELETED.search(msg):
        raise VideoUnavailable(what, "video_deleted")
    if code in ("access_token_invalid", "invalid_client"):
        raise SourceAuthError(f"{what} — check TIKTOK_CLIENT_KEY / TIKTOK_CLIENT_SECRET", code)
    raise SourceRejected(f"{what} — the request was refused; fix the named field", code)


class OfficialApi:
    """OAuth token handling plus ``post``, the choke point of every data request."""

    def __init__(
        self,
        base_url: str,
        client_key: str,
        client_secret: str,
        *,
        http: httpx.AsyncClient | None = None,
        guard: CallGuard | None = None,
        quota: QuotaSpender | None = None,
        clock: Callable[[], float] = PROCESS_CLOCK.time,
        deadline: float = 30.0,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._key, self._secret = client_key, client_secret
        self.http = http or httpx.AsyncClient(timeout=TIMEOUT)
        self._guard = guard
        self.quota: QuotaSpender = quota or InMemoryQuota(clock=clock)
        self._clock = clock
        self._token: tuple[str, float] | None = None
        self._deadline = deadline  # whole-request limit, whatever the transport

    async def fetch_token(self) -> str:
        try:
            res = await self.http.post(
                self._base + TOKEN_PATH,
                data={
                    "client_key": self._key,
                    "client_secret": self._secret,
                    "grant_type": "client_credentials",
                },
            )
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"token endpoint unreachable: {exc!r}") from exc
        if res.status_code >= 500:
            raise SourceUnavailable(f"token endpoint: HTTP {res.status_code}")
        body = _json(res, "token response") if res.content else {}
        # OAuth errors are {error, error_description}, sometimes with HTTP 200.
        if res.status_code >= 400 or body.get("error"):
            err = body.get("error")
            code = err if isinstance(err, str) else str((err or {}).get("code", ""))
            raise SourceAuthError(
                f"credentials refused (HTTP {res.status_code} {code}: "
                f"{body.get('error_description', '')}); check TIKTOK_CLIENT_KEY / "
                "TIKTOK_CLIENT_SECRET",
                code,
            )
        if not body.get("access_token"):
            raise SourceResponseError("token response without access_token")
        ttl = float(body.get("expires_in", 7200))
        # Refresh ahead of expiry, but never sooner than half the token's life.
        margin = min(REFRESH_MARGIN_S, ttl / 2)
        self._token = (str(body["access_token"]), self._clock() + ttl - margin)
        return self._token[0]

    async def _access_token(self) -> str:
        if self._token and self._token[1] > self._clock():
            return self._token[0]
        return await self.fetch_token()

    async def _send(self, path: str, fields: str, body: dict[str, Any]) -> httpx.Response:
        token = await self._access_token()
        try:
            return await asyncio.wait_for(
                self.http.post(
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

    async def post(
        self, api: str, endpoint: str, path: str, fields: str, body: dict[str, Any], records: str
    ) -> dict[str, Any]:
        """One data request: quota, guard, send; ``data`` or the taxonomy's error."""
        async with self._guarded(endpoint):
            for attempt in (0, 1):
                await self.quota.spend_request(api)
                res = await self._send(path, fields, body)
                payload = _json(res, f"{endpoint} response") if res.status_code < 500 else {}
                err = payload.get("error") if isinstance(payload.get("error"), dict) else {}
                code = str((err or {}).get("code") or "ok")
                if res.status_code == 401 and code == "access_token_invalid" and attempt == 0:
                    self._token = None  # expired or revoked: refresh once and retry
                    continue
                if res.status_code >= 400 or code != "ok":
                    classify(api, endpoint, res.status_code, err or {}, res.headers)
                data = payload.get("data")
                if not isinstance(data, dict):
                    raise SourceResponseError(f"{endpoint}: response without a data object")
                items = data.get(records) if records else [data]
                await self.quota.spend_records(api, len(items) if isinstance(items, list) else 0)
                return data
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.asynccontextmanager
    async def _guarded(self, endpoint: str) -> AsyncIterator[None]:
        if self._guard is None:
            yield
            return
        async with self._guard.call(endpoint):
            yield
