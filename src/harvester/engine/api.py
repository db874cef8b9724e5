"""The engine's HTTP surface, the Inngest protocol only: the server API (sync, events,
SDK call-backs) and the dev server's inspection API (/v0/gql, /v1/...)."""

from __future__ import annotations

import asyncio
import hmac
import json
import re
from typing import Any, Protocol

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from harvester.engine import browser_guard, eventids, safejson, signing, sync_tickets
from harvester.engine.cancellations import CancellationError
from harvester.engine.config import EngineConfig
from harvester.engine.gql import answer_gql
from harvester.engine.history import RunHistory
from harvester.engine.records import LiveRun
from harvester.engine.registration import registration_problem
from harvester.engine.rest import build_rest_router, iso
from harvester.engine.sysdb import SystemDatabase
from harvester.engine.triggers import ConfigError

BODY_TIMEOUT_S = 10.0  # EngineConfig.body_timeout's default
RUN_ID = re.compile(r"[0-9A-Za-z-]{1,40}")  # ours are 32 hex digits; ULIDs pass too


class EngineProtocol(Protocol):
    """What the protocol routes need of the engine (kept apart from ``core``)."""

    cfg: EngineConfig

    def register(self, url: str, app_id: str, configs: list[dict[str, Any]]) -> int: ...

    async def send(self, events: list[dict[str, Any]]) -> list[str]: ...

    def create_cancellation(self, body: Any) -> dict[str, Any]: ...

    def cancellations(self) -> list[dict[str, Any]]: ...

    def delete_cancellation(self, job_id: str) -> bool: ...


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


def _refuse_browser(request: Request, cfg: EngineConfig, body: bool = True) -> None:
    """403/415 for a request another site's page made the browser send (browser_guard);
    a route without a ``body`` (a DELETE) needs no JSON content type."""
    refused = browser_guard.browser_problem(
        request.method,
        request.headers,
        bind_host=cfg.host,
        allowed_origins=cfg.allowed_origins,
        require_json=body,
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


def build_router(engine: EngineProtocol, db: SystemDatabase, history: RunHistory) -> APIRouter:
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

    _sdk_callbacks(router, cfg, db, history)
    router.include_router(build_rest_router(db, history, cfg))
    _cancellations(router, engine)
    return router


def _job_json(job: dict[str, Any]) -> dict[str, Any]:
    """A bulk cancellation as Inngest's ``cqrs.Cancellation`` (ISO times), with how
    many runs it cancelled and whether it is done."""
    return {
        "id": job["id"],
        "created_at": iso(job["created_at"]),
        "name": None,
        "app_id": job["app_id"],
        "function_id": job["function_id"],
        "started_after": iso(job["started_after"]),
        "started_before": iso(job["started_before"]),
        **({"if": job["if"]} if job.get("if") else {}),
        "kind": "run",
        "done": job["done"],
        "cancelled": job["cancelled"],
    }


def _cancellations(router: APIRouter, engine: EngineProtocol) -> None:
    """Inngest's bulk cancellation API; its writes pass the browser guard as every
    engine write does."""
    cfg = engine.cfg

    @router.post("/v1/cancellations", tags=["inngest"])
    async def create(request: Request) -> JSONResponse:
        _refuse_browser(request, cfg)
        body = await read_json_body(request, cfg.max_body_bytes, cfg.body_timeout)
        try:
            job = await asyncio.to_thread(engine.create_cancellation, body)
        except CancellationError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        return JSONResponse(_job_json(job))

    @router.get("/v1/cancellations", tags=["inngest"])
    def listed() -> Any:
        return {"data": [_job_json(j) for j in engine.cancellations()]}

    @router.delete("/v1/cancellations/{job_id}", tags=["inngest"])
    def delete(job_id: str, request: Request) -> Any:
        _refuse_browser(request, cfg, body=False)
        if not engine.delete_cancellation(job_id):
            raise HTTPException(404, f"id: no cancellation {job_id[:80]!r}")
        return {"data": {"ok": True}}


def _sdk_callbacks(
    router: APIRouter, cfg: EngineConfig, db: SystemDatabase, history: RunHistory
) -> None:
    """What the SDK asks back (``use_api``) and the dev server's GraphQL subset."""

    def authorized(request: Request) -> None:
        """With a signing key set (in any mode) the SDK's fetch carries its hashed form,
        as at sync."""
        if cfg.signing_key and not _signed(request, cfg):
            raise HTTPException(401, "bad signing key")

    def state_of(run_id: str, request: Request) -> LiveRun:
        """The run's state as the dev server's core API serves it: 400 for an id that
        cannot be a run id; 404 for no such run (the dev server: 410, state gone)."""
        authorized(request)
        if not RUN_ID.fullmatch(run_id):
            raise HTTPException(400, f"run_id: not a run id ({run_id[:80]!r})")
        run = db.load_run(run_id)
        if run is None:
            raise HTTPException(404, f"runtime state is not available for runID: {run_id}")
        return run

    @router.get("/v0/runs/{run_id}/batch", tags=["inngest"])
    def batch(run_id: str, request: Request) -> Any:
        return state_of(run_id, request).events

    @router.get("/v0/runs/{run_id}/actions", tags=["inngest"])
    def actions(run_id: str, request: Request) -> Any:
        return state_of(run_id, request).steps

    @router.post("/v0/gql", tags=["inngest"])
    async def gql(request: Request) -> Any:
        _refuse_browser(request, cfg)
        body = await read_json_body(request, cfg.max_body_bytes, cfg.body_timeout)
        return answer_gql(history, body if isinstance(body, dict) else {})
