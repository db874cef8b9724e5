"""The loopback simulator: the official endpoints' wire format over seeded data, with
faults on demand and its own rate limit (so over-calling shows up as 429s)."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from harvester.tiktok.simulator.data import N_ADS, ad_spec, comment, comment_id, video_index

MAX_ADS_PAGE = 50
MAX_COMMENTS_PAGE = 100
COMMENT_CURSOR_LIMIT = 1000


@dataclass
class Faults:
    """What goes wrong, and how often. Mutable at run time (``POST /_sim/faults``)."""

    rate_per_minute: int | None = None
    error_5xx_ratio: float = 0.0
    malformed_ratio: float = 0.0
    truncated_ratio: float = 0.0
    timeout_ratio: float = 0.0
    timeout_seconds: float = 30.0
    latency_ms: float = 0.0
    token_ttl: int = 7200
    daily_quota: int | None = None
    seed: int = 0


@dataclass
class SimState:
    seed: int
    faults: Faults
    clock: Callable[[], float]
    tokens: dict[str, float] = field(default_factory=dict)
    window: tuple[int, int] = (0, 0)  # (minute, count)
    day: tuple[str, int] = ("", 0)
    stats: dict[str, int] = field(default_factory=lambda: {"requests": 0, "429": 0, "5xx": 0})
    rng: random.Random = field(default_factory=random.Random)


def _envelope(data: Any, code: str = "ok", message: str = "", status: int = 200) -> Response:
    body = {
        "data": data,
        "error": {"code": code, "message": message, "log_id": secrets.token_hex(8)},
    }
    return JSONResponse(body, status_code=status)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    res = _envelope({}, code, message, status)
    res.headers.update(headers or {})
    return res


async def _faults(state: SimState, request: Request) -> Response | None:
    f = state.faults
    now = state.clock()
    state.stats["requests"] += 1
    if f.latency_ms:
        await asyncio.sleep(f.latency_ms / 1000)
    if f.rate_per_minute is not None:
        minute = int(now // 60)
        count = state.window[1] + 1 if state.window[0] == minute else 1
        state.window = (minute, count)
        if count > f.rate_per_minute:
            state.stats["429"] += 1
            retry = max(1, int(60 - now % 60))
            return _error(
                429, "rate_limit_exceeded", "too many requests", {"Retry-After": str(retry)}
            )
    if f.daily_quota is not None:
        today = datetime.fromtimestamp(now, UTC).date().isoformat()
        used = state.day[1] + 1 if state.day[0] == today else 1
        state.day = (today, used)
        if used > f.daily_quota:
            state.stats["429"] += 1
            return _error(
                429,
                "rate_limit_exceeded",
                "daily quota exceeded",
                {"Retry-After": str(int(86400 - now % 86400))},
            )
    roll = state.rng.random()
    if roll < f.error_5xx_ratio:
        state.stats["5xx"] += 1
        return _error(500, "internal_error", "simulated server error")
    roll -= f.error_5xx_ratio
    if roll < f.timeout_ratio:
        await asyncio.sleep(f.timeout_seconds)  # then answer normally: a very slow call
        return None
    roll -= f.timeout_ratio
    if roll < f.malformed_ratio:
        return PlainTextResponse('{"data": {"ads": [{"ad": ', media_type="application/json")
    roll -= f.malformed_ratio
    if roll < f.truncated_ratio:
        return JSONResponse({"data": {"comments": [{"text": "no id"}]}, "error": {"code": "ok"}})
    return None


def _authorized(state: SimState, request: Request) -> bool:
    auth = request.headers.get("authorization", "")
    token = auth.removeprefix("Bearer ").strip()
    expiry = state.tokens.get(token)
    return expiry is not None and expiry > state.clock()


def _ad_json(spec: Any) -> dict[str, Any]:
    url = f"https://www.tiktok.com/@brand{spec.index % 97}/video/{spec.video_id}"
    return {
        "ad": {
            "id": spec.ad_id,
            "first_shown_date": spec.published.strftime("%Y%m%d"),
            "last_shown_date": spec.published.strftime("%Y%m%d"),
            "status": "active",
            "videos": [{"url": url, "cover_image_url": url + "/cover.jpg"}],
            "reach": {"unique_users_seen": str(1000 + spec.index)},
        },
        "advertiser": {
            "business_id": str(9_000 + spec.index % 300),
            "business_name": spec.advertiser,
            "paid_for_by": spec.advertiser,
        },
    }


def _query_ads(state: SimState, body: dict[str, Any]) -> Response:
    filters = body.get("filters") or {}
    rng_ = filters.get("ad_published_date_range") or {}
    try:
        lo = datetime.strptime(str(rng_["min"]), "%Y%m%d").date()
        hi = datetime.strptime(str(rng_["max"]), "%Y%m%d").date()
        max_count = int(body.get("max_count", 10))
    except (KeyError, ValueError, TypeError):
        return _error(400, "invalid_params", "filters.ad_published_date_range min/max YYYYMMDD")
    if not 1 <= max_count <= MAX_ADS_PAGE:
        return _error(400, "invalid_params", f"max_count must be 1..{MAX_ADS_PAGE}")
    country = str(filters.get("country_code", "ALL")).upper()
    today = datetime.fromtimestamp(state.clock(), UTC).date()
    offset = int(str(body.get("search_id") or "s0")[1:] or 0)
    matches = []
    for i in range(offset, N_ADS):
        spec = ad_spec(state.seed, i, today)
        if lo <= spec.published <= hi and country in ("ALL", spec.region):
            matches.append(spec)
            if len(matches) > max_count:
                break
    page, more = matches[:max_count], len(matches) > max_count
    next_offset = page[-1].index + 1 if page else N_ADS
    return _envelope(
        {"ads": [_ad_json(s) for s in page], "has_more": more, "search_id": f"s{next_offset}"}
    )


def _list_comments(state: SimState, body: dict[str, Any]) -> Response:
    vid = str(body.get("video_id", ""))
    idx = video_index(vid)
    try:
        cursor, max_count = int(body.get("cursor", 0)), int(body.get("max_count", 10))
    except (ValueError, TypeError):
        return _error(400, "invalid_params", "cursor and max_count must be integers")
    if idx is None:
        return _error(400, "invalid_params", f"unknown video_id {vid!r}")
    if not 1 <= max_count <= MAX_COMMENTS_PAGE:
        return _error(400, "invalid_params", f"max_count must be 1..{MAX_COMMENTS_PAGE}")
    spec = ad_spec(state.seed, idx, date(2026, 1, 1))
    total = min(spec.n_comments, COMMENT_CURSOR_LIMIT)
    end = min(total, cursor + max_count)
    base = 1_735_000_000 + idx * 3600
    comments = [
        {
            "id": comment_id(vid, j),
            "video_id": vid,
            "text": comment(state.seed, idx, j)[0],
            "like_count": j % 17,
            "reply_count": j % 3,
            "parent_comment_id": vid,
            "create_time": base + j * 60,
        }
        for j in range(cursor, end)
    ]
    return _envelope({"comments": comments, "cursor": end, "has_more": end < total})


def create_app(
    seed: int = 42, faults: Faults | None = None, clock: Callable[[], float] | None = None
) -> FastAPI:
    """The simulator as an ASGI app (mount in-process or serve with ``harvester sim``)."""
    state = SimState(seed=seed, faults=faults or Faults(), clock=clock or time.time)
    state.rng.seed(state.faults.seed)
    app = FastAPI(title="TikTok API simulator", docs_url=None, redoc_url=None)
    app.state.sim = state
    app.state.faults = state.faults

    @app.post("/v2/oauth/token/")
    async def token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "client_credentials" or not form.get("client_key"):
            return _error(400, "invalid_request", "grant_type=client_credentials and client_key")
        tok = "clt." + secrets.token_hex(12)
        state.tokens[tok] = state.clock() + state.faults.token_ttl
        return JSONResponse(
            {"access_token": tok, "expires_in": state.faults.token_ttl, "token_type": "Bearer"}
        )

    async def guarded(request: Request, handler: Callable[[dict[str, Any]], Response]) -> Response:
        if not _authorized(state, request):
            return _error(401, "access_token_invalid", "the access token is invalid or expired")
        fault = await _faults(state, request)
        if fault is not None:
            return fault
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "invalid_params", "body must be JSON")
        return handler(body if isinstance(body, dict) else {})

    @app.post("/v2/research/adlib/ad/query/")
    async def ad_query(request: Request) -> Response:
        return await guarded(request, lambda b: _query_ads(state, b))

    @app.post("/v2/research/video/comment/list/")
    async def comment_list(request: Request) -> Response:
        return await guarded(request, lambda b: _list_comments(state, b))

    @app.post("/_sim/faults")
    async def set_faults(request: Request) -> dict[str, Any]:
        for k, v in (await request.json()).items():
            if hasattr(state.faults, k):
                setattr(state.faults, k, v)
        return asdict(state.faults)

    @app.get("/_sim/stats")
    async def stats() -> dict[str, Any]:
        return {**state.stats, "faults": asdict(state.faults)}

    return app
