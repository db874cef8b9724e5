"""The engine's HTTP surface, the Inngest protocol only: the server API (sync, events,
SDK call-backs) and the dev server's inspection API (/v0/gql, /v1/...)."""

from __future__ import annotations

import hmac
import json
from typing import Any, Protocol

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from harvester.engine import browser_guard, eventids, safejson, signing, sync_tickets
from harvester.engine.config import EngineConfig
from harvester.engine.gql import answer_gql
from harvester.engine.registration import registration_problem
from harvester.engine.sysdb import SystemDatabase
from harvester.engine.triggers import ConfigError

BODY_TIMEOUT_S = 10.0  # EngineConfig.body_timeout's default


class EngineProtocol(Protocol):
    """What the protocol routes need of the engine (kept apart from ``core``)."""

    cfg: EngineConfig

    def register(self, url: str, app_id: str, configs: list[dict[str, Any]]) -> int: ...

    async def send(self, events: list[dict[str, Any]]) -> list[str]: ...


async def read_json_body(request: Request, limit: int, timeout: float = BODY_TIMEOUT_S) -> Any:
    """The request's JSON body, refused before or while it is parsed: 415 not JSON,
    413 over ``limit`` bytes, 408 slower than ``timeout``, 400 malformed or too deep."""
    try:
        safejson.check_content_type(request.headers.get("content-type"))
        raw = await safejson.read_limited(request.stream(), limit, timeout)
        return safejson.loads(raw)
    except safejson.JSONRejected as exc:
        raise HTTPException(exc.status, str(exc)) from exc


def _same(given: str, secret: str) -> bool:
    """Compare a secret in constant time: timing must not reveal a matching prefix."""
    raw = given.encode("utf-8", "surrogatepass")
    return bool(secret) and hmac.compare_digest(raw, secret.encode())


def _event_problem(ev: Any, where: str) -> str | None:
    """What is wrong with one event, or None."""
    if not isinstance(ev, dict):
        return f"{where} must be an object"
    name = ev.get("name")
    if not isinstance(name, str) or not name.strip():
        return f"{where}.name is required (a non-empty string)"
    if name.startswith("inngest/"):
        return f"{where}.name: the inngest/ namespace is reserved"
    if not isinstance(ev.get("data", {}) or {}, dict):
        return f"{where}.data must be an object"
    if "id" in ev and ev["id"] is not None and not isinstance(ev["id"], str):
        return f"{where}.id must be a string"
    if "ts" in ev and ev["ts"] is not None and not isinstance(ev["ts"], int):
        return f"{where}.ts must be an integer (ms)"
    return None


def validate_events(body: Any) -> list[dict[str, Any]]:
    """Every event checked before any is stored: one bad event rejects the request."""
    events = body if isinstance(body, list) else [body]
    if not events:
        raise HTTPException(400, "no events")
    for i, ev in enumerate(events):
        if problem := _event_problem(ev, f"event[{i}]"):
            raise HTTPException(400, problem)
    return events


def valid_prefix(
    body: Any, max_event_bytes: int
) -> tuple[list[dict[str, Any]], HTTPException | None]:
    """The events before the first bad one, and what is wrong with it: the event API
    stores those and answers with their ids and the error, as the dev server does."""
    events = body if isinstance(body, list) else [body]
    if not events:
        return [], HTTPException(400, "no events")
    for i, ev in enumerate(events):
        if problem := _event_problem(ev, f"event[{i}]"):
            return events[:i], HTTPException(400, problem)
        size = len(json.dumps(ev, separators=(",", ":")).encode())
        if size > max_event_bytes:
            message = (
                f"event[{i}] is {size} bytes, over the {max_event_bytes} bytes one event may have"
            )
            return events[:i], HTTPException(413, message)
    return events, None


def seed_ids(events: list[dict[str, Any]], seed: str | None) -> list[dict[str, Any]]:
    """Give each event without an id the one the seed header derives for it."""
    out = []
    for n, ev in enumerate(events, start=1):
        derived = None if ev.get("id") else eventids.seeded_id(seed, n)
        out.append({**ev, "id": derived} if derived else ev)
    return out


def _refuse_browser(request: Request, cfg: EngineConfig) -> None:
    """403/415 for a request another site's page made the browser send (browser_guard)."""
    refused = browser_guard.browser_problem(
        request.method,
        request.headers,
        bind_host=cfg.host,
        allowed_origins=cfg.allowed_origins,
    )
    if refused is not None:
        raise HTTPException(refused[0], refused[1])


def _signed(request: Request, cfg: EngineConfig) -> bool:
    """The request carries the Bearer the SDK derives from our signing key."""
    if not cfg.signing_key:
        return False
    want = f"Bearer {signing.hashed_signing_key(cfg.signing_key)}"
    return _same(request.headers.get("authorization", ""), want)


def _event_key_problem(event_key: str, cfg: EngineConfig) -> str | None:
    """A set event key is the only one taken, in any mode (as Inngest's server does);
    with none set, only dev mode takes events."""
    if cfg.event_key:
        return None if _same(event_key, cfg.event_key) else "event key not found"
    return None if cfg.dev else "event key not found (no INNGEST_EVENT_KEY is set)"


def build_router(engine: EngineProtocol, db: SystemDatabase) -> APIRouter:
    """The Inngest protocol routes over ``engine`` and its system database: sync and
    events here, then the SDK's call-backs and the inspection API."""
    router = APIRouter()
    cfg = engine.cfg

    @router.post("/fn/register", tags=["inngest"])
    async def register(request: Request) -> JSONResponse:
        _refuse_browser(request, cfg)
        body = await read_json_body(request, 4 * cfg.max_body_bytes, cfg.body_timeout)
        if not isinstance(body, dict) or not isinstance(body.get("functions"), list):
            raise HTTPException(400, "body must be an object with a functions list")
        url, app_id = str(body.get("url", "")), str(body.get("appname", ""))
        ticket = request.query_params.get("deployId")
        if not sync_tickets.valid(ticket, url):
            refused = registration_problem(
                cfg, db, url, app_id, body["functions"], signed=_signed(request, cfg)
            )
            if refused is not None:
                return JSONResponse({"error": refused[1]}, status_code=refused[0])
        try:
            n = engine.register(url, app_id, body["functions"])
        except ConfigError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"ok": True, "modified": True, "functions": n})

    @router.post("/e/{event_key}", tags=["inngest"])
    async def send_events(event_key: str, request: Request) -> JSONResponse:
        try:
            _refuse_browser(request, cfg)
        except HTTPException as exc:
            return JSONResponse(
                {"ids": [], "status": exc.status_code, "error": exc.detail},
                status_code=exc.status_code,
            )
        if (problem := _event_key_problem(event_key, cfg)) is not None:
            return JSONResponse({"ids": [], "status": 401, "error": problem}, status_code=401)
        try:
            body = await read_json_body(request, cfg.max_event_request_bytes, cfg.body_timeout)
        except HTTPException as exc:
            return JSONResponse(
                {"ids": [], "status": exc.status_code, "error": exc.detail},
                status_code=exc.status_code,
            )
        events, bad = valid_prefix(body, cfg.max_event_bytes)
        seed = request.headers.get("x-inngest-event-id-seed")
        ids = await engine.send(seed_ids(events, seed)) if events else []
        if bad is not None:
            return JSONResponse(
                {"ids": ids, "status": bad.status_code, "error": bad.detail},
                status_code=bad.status_code,
            )
        return JSONResponse({"ids": ids, "status": 200})

    _sdk_callbacks(router, cfg, db)
    _inspection(router, db)
    return router


def _sdk_callbacks(router: APIRouter, cfg: EngineConfig, db: SystemDatabase) -> None:
    """What the SDK asks back (``use_api``) and the dev server's GraphQL subset."""

    def authorized(request: Request) -> None:
        """With a signing key set (in any mode) the SDK's fetch carries its hashed form,
        as at sync."""
        if cfg.signing_key and not _signed(request, cfg):
            raise HTTPException(401, "bad signing key")

    @router.get("/v0/runs/{run_id}/batch", tags=["inngest"])
    def batch(run_id: str, request: Request) -> Any:
        authorized(request)
        run = db.load_run(run_id)
        if run is None:
            raise HTTPException(404, "run not found")
        return run["events"]

    @router.get("/v0/runs/{run_id}/actions", tags=["inngest"])
    def actions(run_id: str, request: Request) -> Any:
        authorized(request)
        run = db.load_run(run_id)
        if run is None:
            raise HTTPException(404, "run not found")
        return run["steps"]

    @router.post("/v0/gql", tags=["inngest"])
    async def gql(request: Request) -> Any:
        _refuse_browser(request, cfg)
        body = await read_json_body(request, cfg.max_body_bytes, cfg.body_timeout)
        return answer_gql(db, body if isinstance(body, dict) else {})


def _inspection(router: APIRouter, db: SystemDatabase) -> None:
    """The dev server's REST inspection API."""

    @router.get("/v1/events", tags=["inngest"])
    def v1_events(name: str | None = None, limit: int = Query(50, ge=1, le=500)) -> Any:
        rows = db.list_events(name=name, limit=limit)
        return {"data": [{k: v for k, v in r.to_json().items() if k != "runs"} for r in rows]}

    @router.get("/v1/events/{internal_id}/runs", tags=["inngest"])
    def v1_event_runs(internal_id: str) -> Any:
        return {"data": [r.to_json() for r in db.event_runs(internal_id)]}

    @router.get("/v1/runs/{run_id}", tags=["inngest"])
    def v1_run(run_id: str) -> Any:
        run = db.run_detail(run_id)
        if run is None:
            raise HTTPException(404, "run not found")
        return {"data": run.to_json()}
