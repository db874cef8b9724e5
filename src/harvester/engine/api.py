"""The engine's HTTP surface, the Inngest protocol only: the server API (sync, events,
SDK call-backs) and the dev server's inspection API (/v0/gql, /v1/...)."""

from __future__ import annotations

import hmac
from typing import Any, Protocol

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from harvester.engine import safejson, signing
from harvester.engine.config import EngineConfig
from harvester.engine.gql import answer_gql
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


def validate_events(body: Any) -> list[dict[str, Any]]:
    """Every event checked before any is stored: one bad event rejects the request."""
    events = body if isinstance(body, list) else [body]
    if not events:
        raise HTTPException(400, "no events")
    for i, ev in enumerate(events):
        where = f"event[{i}]"
        if not isinstance(ev, dict):
            raise HTTPException(400, f"{where} must be an object")
        name = ev.get("name")
        if not isinstance(name, str) or not name.strip():
            raise HTTPException(400, f"{where}.name is required (a non-empty string)")
        if name.startswith("inngest/"):
            raise HTTPException(400, f"{where}.name: the inngest/ namespace is reserved")
        if not isinstance(ev.get("data", {}) or {}, dict):
            raise HTTPException(400, f"{where}.data must be an object")
        if "id" in ev and ev["id"] is not None and not isinstance(ev["id"], str):
            raise HTTPException(400, f"{where}.id must be a string")
        if "ts" in ev and ev["ts"] is not None and not isinstance(ev["ts"], int):
            raise HTTPException(400, f"{where}.ts must be an integer (ms)")
    return events


def build_router(engine: EngineProtocol, db: SystemDatabase) -> APIRouter:
    """The Inngest protocol routes over ``engine`` and its system database: sync and
    events here, then the SDK's call-backs and the inspection API."""
    router = APIRouter()
    cfg = engine.cfg

    @router.post("/fn/register", tags=["inngest"])
    async def register(request: Request) -> JSONResponse:
        if not cfg.dev and cfg.signing_key:
            want = f"Bearer {signing.hashed_signing_key(cfg.signing_key)}"
            if not _same(request.headers.get("authorization", ""), want):
                raise HTTPException(401, "bad signing key")
        body = await read_json_body(request, 4 * cfg.max_body_bytes, cfg.body_timeout)
        if not isinstance(body, dict) or not isinstance(body.get("functions"), list):
            raise HTTPException(400, "body must be an object with a functions list")
        try:
            n = engine.register(
                str(body.get("url", "")), str(body.get("appname", "")), body["functions"]
            )
        except ConfigError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"ok": True, "modified": True, "functions": n})

    @router.post("/e/{event_key}", tags=["inngest"])
    async def send_events(event_key: str, request: Request) -> JSONResponse:
        if not cfg.dev and not _same(event_key, cfg.event_key or ""):
            return JSONResponse(
                {"ids": [], "status": 401, "error": "event key not found"}, status_code=401
            )
        try:
            events = validate_events(
                await read_json_body(request, cfg.max_body_bytes, cfg.body_timeout)
            )
        except HTTPException as exc:
            return JSONResponse(
                {"ids": [], "status": exc.status_code, "error": exc.detail},
                status_code=exc.status_code,
            )
        ids = await engine.send(events)
        return JSONResponse({"ids": ids, "status": 200})

    _sdk_callbacks(router, cfg, db)
    _inspection(router, db)
    return router


def _sdk_callbacks(router: APIRouter, cfg: EngineConfig, db: SystemDatabase) -> None:
    """What the SDK asks back (``use_api``) and the dev server's GraphQL subset."""

    @router.get("/v0/runs/{run_id}/batch", tags=["inngest"])
    def batch(run_id: str) -> Any:
        run = db.load_run(run_id)
        if run is None:
            raise HTTPException(404, "run not found")
        return run["events"]

    @router.get("/v0/runs/{run_id}/actions", tags=["inngest"])
    def actions(run_id: str) -> Any:
        run = db.load_run(run_id)
        if run is None:
            raise HTTPException(404, "run not found")
        return run["steps"]

    @router.post("/v0/gql", tags=["inngest"])
    async def gql(request: Request) -> Any:
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
