"""HTTP surface: the Inngest server API (sync, events, SDK call-backs), the dev
server's inspection API (/v0/gql, /v1/...), and the JSON run API under /api/v1."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from harvester.engine import queries, safejson, signing
from harvester.engine.gql import answer_gql
from harvester.engine.triggers import ConfigError

if TYPE_CHECKING:
    from harvester.engine.core import Engine


class BulkCancel(BaseModel):
    fn: str = Field(..., min_length=1)
    since: float
    until: float


async def _json_body(request: Request, limit: int, timeout: float) -> Any:
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


def build_router(engine: Engine) -> APIRouter:
    router = APIRouter()
    cfg = engine.cfg

    @router.post("/fn/register", tags=["inngest"])
    async def register(request: Request) -> JSONResponse:
        if not cfg.dev and cfg.signing_key:
            want = f"Bearer {signing.hashed_signing_key(cfg.signing_key)}"
            if not _same(request.headers.get("authorization", ""), want):
                raise HTTPException(401, "bad signing key")
        body = await _json_body(request, 4 * cfg.max_body_bytes, cfg.body_timeout)
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
                await _json_body(request, cfg.max_body_bytes, cfg.body_timeout)
            )
        except HTTPException as exc:
            return JSONResponse(
                {"ids": [], "status": exc.status_code, "error": exc.detail},
                status_code=exc.status_code,
            )
        ids = await engine.send(events)
        return JSONResponse({"ids": ids, "status": 200})

    @router.get("/v0/runs/{run_id}/batch", tags=["inngest"])
    def batch(run_id: str) -> Any:
        run = engine.get_run(run_id)
        if run is None:
            raise HTTPException(404, "run not found")
        return run["events"]

    @router.get("/v0/runs/{run_id}/actions", tags=["inngest"])
    def actions(run_id: str) -> Any:
        run = engine.get_run(run_id)
        if run is None:
            raise HTTPException(404, "run not found")
        return run["steps"]

    @router.post("/v0/gql", tags=["inngest"])
    async def gql(request: Request) -> Any:
        body = await _json_body(request, cfg.max_body_bytes, cfg.body_timeout)
        return answer_gql(engine.store, body if isinstance(body, dict) else {})

    @router.get("/v1/events", tags=["inngest"])
    def v1_events(name: str | None = None, limit: int = Query(50, ge=1, le=500)) -> Any:
        rows = queries.list_events(engine.store, name=name, limit=limit)
        return {"data": [{k: v for k, v in r.items() if k != "runs"} for r in rows]}

    @router.get("/v1/events/{internal_id}/runs", tags=["inngest"])
    def v1_event_runs(internal_id: str) -> Any:
        return {"data": queries.event_runs(engine.store, internal_id)}

    @router.get("/v1/runs/{run_id}", tags=["inngest"])
    def v1_run(run_id: str) -> Any:
        run = queries.run_detail(engine.store, run_id)
        if run is None:
            raise HTTPException(404, "run not found")
        return {"data": run}

    _run_api(router, engine)
    return router


def _run_api(router: APIRouter, engine: Engine) -> None:
    @router.get("/api/v1/runs", tags=["runs"])
    def runs(
        fn: str | None = None,
        status: str | None = None,
        since: float | None = None,
        until: float | None = None,
        cursor: str | None = None,
        limit: int = Query(50, ge=1, le=500),
    ) -> Any:
        """Runs, newest first, filtered; pass ``next_cursor`` back for the next page."""
        return queries.list_runs(
            engine.store, fn=fn, status=status, since=since, until=until, cursor=cursor, limit=limit
        )

    @router.get("/api/v1/runs/{run_id}", tags=["runs"])
    def run(run_id: str) -> Any:
        """One run: its event, step timeline, output or error."""
        detail = queries.run_detail(engine.store, run_id)
        if detail is None:
            raise HTTPException(404, "run not found")
        return detail

    @router.post("/api/v1/runs/{run_id}/cancel", tags=["runs"])
    def cancel(run_id: str) -> Any:
        if not engine.cancel_run(run_id):
            raise HTTPException(409, "run not found or already finished")
        return {"cancelled": run_id}

    @router.post("/api/v1/runs/{run_id}/replay", tags=["runs"])
    def replay(run_id: str) -> Any:
        new = engine.replay_run(run_id)
        if new is None:
            raise HTTPException(404, "run or its function not found")
        return {"run_id": new}

    @router.post("/api/v1/runs/cancel", tags=["runs"])
    def bulk_cancel(body: BulkCancel) -> Any:
        """Cancel every unfinished run of a function created in [since, until)."""
        page = queries.list_runs(
            engine.store, fn=body.fn, since=body.since, until=body.until, limit=10_000
        )
        done = [r["run_id"] for r in page["data"] if engine.cancel_run(r["run_id"])]
        return {"cancelled": len(done)}

    @router.get("/api/v1/functions", tags=["runs"])
    def functions() -> Any:
        """Synced functions with their config and run counts by status."""
        stats = queries.function_stats(engine.store)
        return {
            "data": [
                {"id": f.id, "name": f.name, "config": f.config, "runs": stats.get(f.id, {})}
                for f in engine.functions.values()
            ]
        }

    @router.get("/api/v1/events", tags=["runs"])
    def events(name: str | None = None, limit: int = Query(50, ge=1, le=500)) -> Any:
        """Recent events with the runs they started."""
        return {"data": queries.list_events(engine.store, name=name, limit=limit)}

    @router.post("/api/v1/events", tags=["runs"])
    async def post_events(request: Request) -> Any:
        """Send one event or a list (same validation as the event API)."""
        events = validate_events(
            await _json_body(request, engine.cfg.max_body_bytes, engine.cfg.body_timeout)
        )
        return {"ids": await engine.send(events)}
