"""The loopback simulator: the documented endpoints over the seeded world, with the
real API's rejections, daily quotas (documented codes), bursts of 500s, expiring
search ids and faults on demand. Undocumented paths answer 404."""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from harvester.clock import PROCESS_CLOCK
from harvester.sim.tiktok import endpoints as ep
from harvester.sim.tiktok.request_log import RequestLog, describe, records_in

RESEARCH_PATHS = ("video/query", "comment/list")


@dataclass
class Faults:
    """What goes wrong, and how often. Mutable at run time (``POST /_sim/faults``)."""

    rate_per_minute: int | None = None
    error_5xx_ratio: float = 0.0
    burst_5xx: int = 1  # a 500 comes with this many in a row (peers report bursts)
    malformed_ratio: float = 0.0
    truncated_ratio: float = 0.0
    timeout_ratio: float = 0.0
    timeout_seconds: float = 30.0
    latency_ms: float = 0.0
    # More per endpoint (``{"comment/list": 1500}``): a stage made to last, as in a bench
    # that must catch calls in flight.
    endpoint_latency_ms: dict[str, float] = field(default_factory=dict)
    # Comment pages of these video ids are refused (400 invalid_params): a planted fault
    # that fails one harvest for good, and so raises an alert.
    refused_videos: list[str] = field(default_factory=list)
    token_ttl: int = 7200
    daily_quota: int | None = None  # requests per API per UTC day
    # The reference documents rate_limit_exceeded; some clients see the other code.
    daily_quota_code: str = "rate_limit_exceeded"
    daily_records: int | None = None  # records per API per UTC day (Research: 100,000)
    search_id_ttl: float | None = None  # seconds a search id stays valid
    search_id_expire_ratio: float = 0.0  # peers see fresh ids refused as expired too
    seed: int = 0


@dataclass
class SimState:
    seed: int
    faults: Faults
    clock: Callable[[], float]
    tokens: dict[str, float] = field(default_factory=dict)
    window: tuple[int, int] = (0, 0)  # (minute, count)
    day: dict[str, tuple[str, int]] = field(default_factory=dict)
    records: dict[str, tuple[str, int]] = field(default_factory=dict)
    searches: dict[str, tuple[str, Any, float]] = field(default_factory=dict)
    burst_left: int = 0
    stats: dict[str, int] = field(
        default_factory=lambda: {"requests": 0, "429": 0, "5xx": 0, "rejected": 0}
    )
    rng: random.Random = field(default_factory=random.Random)


def _envelope(data: Any, code: str = "ok", message: str = "", status: int = 200) -> Response:
    body: dict[str, Any] = {
        "error": {"code": code, "message": message, "log_id": secrets.token_hex(8)}
    }
    if data is not None:
        body["data"] = data
    return JSONResponse(body, status_code=status)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    res = _envelope(None, code, message, status)
    res.headers.update(headers or {})
    return res


def _limits(state: SimState, api: str) -> Response | None:
    f, now = state.faults, state.clock()
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
    if f.daily_records is not None:
        today = datetime.fromtimestamp(now, UTC).date().isoformat()
        seen, n = state.records.get(api, ("", 0))
        if seen == today and n >= f.daily_records:
            state.stats["429"] += 1
            return _error(429, f.daily_quota_code, "daily record quota limit exceeded")
    if f.daily_quota is not None:
        today = datetime.fromtimestamp(now, UTC).date().isoformat()
        seen, used = state.day.get(api, ("", 0))
        used = used + 1 if seen == today else 1
        state.day[api] = (today, used)
        if used > f.daily_quota:
            state.stats["429"] += 1
            return _error(429, f.daily_quota_code, "daily quota limit exceeded")
    return None


async def _faults(state: SimState, endpoint: str) -> Response | None:
    f = state.faults
    latency = f.latency_ms + float(f.endpoint_latency_ms.get(endpoint, 0.0))
    if latency:
        await asyncio.sleep(latency / 1000)
    if state.burst_left > 0:
        state.burst_left -= 1
        state.stats["5xx"] += 1
        return _error(500, "internal_error", "Something went wrong. Please try again later.")
    roll = state.rng.random()
    if roll < f.error_5xx_ratio:
        state.stats["5xx"] += 1
        state.burst_left = max(0, f.burst_5xx - 1)
        return _error(500, "internal_error", "Something went wrong. Please try again later.")
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
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    expiry = state.tokens.get(token)
    return expiry is not None and expiry > state.clock()


def _resume(state: SimState, body: dict[str, Any]) -> Any:
    """The saved position of ``search_id``; refuses reuse with other filters."""
    sid = body.get("search_id")
    if not sid:
        return None
    saved = state.searches.get(str(sid))
    ttl = state.faults.search_id_ttl
    gone = state.rng.random() < state.faults.search_id_expire_ratio
    if saved is None or gone or (ttl is not None and state.clock() - saved[2] > ttl):
        raise ep.invalid(f"Search Id {sid} is invalid or expired")
    if saved[0] != ep.filters_key(body):
        raise ep.invalid("search_id was issued for other filters; start a new search")
    return saved[1]


def _save(state: SimState, body: dict[str, Any], position: Any) -> str:
    sid = str(body.get("search_id") or f"{int(state.clock()):x}{secrets.token_hex(8)}".upper())
    state.searches[sid] = (ep.filters_key(body), position, state.clock())
    return sid


def _count_records(state: SimState, api: str, data: dict[str, Any]) -> None:
    today = datetime.fromtimestamp(state.clock(), UTC).date().isoformat()
    n = sum(len(v) for k, v in data.items() if k in ("ads", "videos", "comments"))
    seen, used = state.records.get(api, ("", 0))
    state.records[api] = (today, (used if seen == today else 0) + n)


def _handle(state: SimState, endpoint: str, fields: str, body: dict[str, Any]) -> Any:
    asked = ep.check_fields(endpoint, fields)
    now = state.clock()
    if endpoint == "ad/query":
        ads, nxt = ep.query_ads(state.seed, body, asked, now, _resume(state, body))
        sid = _save(state, body, nxt)
        return {"ads": ads, "has_more": "true" if nxt else "false", "search_id": sid}
    if endpoint == "ad/detail":
        return ep.ad_detail(state.seed, body, asked, now)
    if endpoint == "advertiser/query":
        return ep.query_advertisers(state.seed, body)
    if endpoint == "video/query":
        data, _ = ep.query_videos(state.seed, body, asked, _resume(state, body) or 0)
        data["search_id"] = _save(state, body, data["cursor"])
        return data
    return ep.list_comments(state.seed, body, asked)


async def _position(state: SimState, request: Request) -> Any:
    """Where a resumed search stands before this request is answered: the same body
    with one ``search_id`` asks for the next page each time, so the position names the
    page the log line is about."""
    try:
        body = await request.json()  # starlette keeps the body: read again later
    except ValueError:
        return None
    sid = body.get("search_id") if isinstance(body, dict) else None
    saved = state.searches.get(str(sid)) if sid else None
    return saved[1] if saved else None


async def _log_answer(
    state: SimState,
    log: RequestLog,
    request: Request,
    endpoint: str,
    res: Response,
    position: Any = None,
    received: float | None = None,
) -> None:
    """One line of the request log: the request and the answer it got, as sent."""
    try:
        body = await request.json()  # starlette keeps the body: this reads it again
    except ValueError:
        body = None
    try:
        answered = json.loads(bytes(res.body))
    except ValueError:
        answered = {}
    error = answered.get("error") if isinstance(answered, dict) else None
    code = error.get("code") if isinstance(error, dict) else "malformed"
    log.write(
        {
            **describe(endpoint, body, position),
            "t": round(state.clock(), 3),
            # when the request came in: with latency, a caller killed after sending it
            # still gets it answered, after the kill
            "received": round(state.clock() if received is None else received, 3),
            "api": "research" if endpoint in RESEARCH_PATHS else "commercial",
            "status": res.status_code,
            "code": code,
            "records": records_in(answered.get("data") if isinstance(answered, dict) else None),
        }
    )


def create_app(
    seed: int = 42,
    faults: Faults | None = None,
    clock: Callable[[], float] | None = None,
    request_log: RequestLog | None = None,
) -> FastAPI:
    """The simulator as an ASGI app (mount in-process or serve with ``harvester sim``).
    ``request_log``: where every answered data request is written (observation only)."""
    state = SimState(seed=seed, faults=faults or Faults(), clock=clock or PROCESS_CLOCK.time)
    state.rng.seed(state.faults.seed)
    app = FastAPI(title="TikTok API simulator", docs_url=None, redoc_url=None)
    app.state.sim = state
    app.state.faults = state.faults

    @app.post("/v2/oauth/token/")
    async def token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "client_credentials" or not form.get("client_key"):
            return JSONResponse(
                {"error": "invalid_request", "error_description": "grant_type, client_key"},
                status_code=400,
            )
        if not form.get("client_secret"):  # as peers see it: an error with HTTP 200
            return JSONResponse({"error": "invalid_client", "error_description": "secret"})
        tok = "clt." + secrets.token_hex(12)
        state.tokens[tok] = state.clock() + state.faults.token_ttl
        return JSONResponse(
            {"access_token": tok, "expires_in": state.faults.token_ttl, "token_type": "Bearer"}
        )

    async def answer(request: Request, endpoint: str) -> Response:
        received = state.clock()
        position = await _position(state, request) if request_log is not None else None
        res = await respond(request, endpoint)
        if request_log is not None:
            await _log_answer(state, request_log, request, endpoint, res, position, received)
        return res

    async def respond(request: Request, endpoint: str) -> Response:
        state.stats["requests"] += 1
        if not _authorized(state, request):
            return _error(401, "access_token_invalid", "The access token is invalid or expired.")
        api = "research" if endpoint in RESEARCH_PATHS else "commercial"
        limited = _limits(state, api) or await _faults(state, endpoint)
        if limited is not None:
            return limited
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ep.invalid("the body must be a JSON object")
            refused = state.faults.refused_videos
            if endpoint == "comment/list" and str(body.get("video_id")) in refused:
                raise ep.invalid(f"video_id {body['video_id']} is refused (a planted fault)")
            data = _handle(state, endpoint, request.query_params.get("fields", ""), body)
            _count_records(state, api, data)
            return _envelope(data)
        except ValueError:
            state.stats["rejected"] += 1
            return _error(400, "invalid_params", "the body must be JSON")
        except ep.Rejected as exc:
            state.stats["rejected"] += 1
            return _error(exc.status, exc.code, exc.message)

    for endpoint, path in (
        ("ad/query", "/v2/research/adlib/ad/query/"),
        ("ad/detail", "/v2/research/adlib/ad/detail/"),
        ("advertiser/query", "/v2/research/adlib/advertiser/query/"),
        ("video/query", "/v2/research/video/query/"),
        ("comment/list", "/v2/research/video/comment/list/"),
    ):

        async def route(request: Request, endpoint: str = endpoint) -> Response:
            return await answer(request, endpoint)

        app.add_api_route(path, route, methods=["POST"])

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
