"""The one FastAPI app: the SDK serve endpoint, the embedded engine's protocol routes, the JSON API,
the dashboard, /metrics and /health."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import inngest.fast_api
import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from harvester import __version__
from harvester.jobs.metrics import export_quota, export_runs
from harvester.jobs.sdk_transport import route_sdk_through, sdk_app
from harvester.runtime import Runtime
from harvester.store.db import StorageUnavailable, storage_problem
from harvester.web import (
    api,
    api_docs,
    dashboard,
    feeds_routes,
    imports_pages,
    worker_results,
    zeeschuimer,
)
from harvester.web.body_guard import JSONBodyGuardMiddleware
from harvester.web.dashboard import errors as error_pages
from harvester.web.queue_samples import QueueSamples
from harvester.web.security import SECURITY_HEADERS, AdminGateMiddleware

log = structlog.get_logger(__name__)
SERVE_PATH = "/api/inngest"


def serve_url(runtime: Runtime) -> str:
    s = runtime.settings
    return f"http://{s.host}:{s.port}{SERVE_PATH}"


def route_sdk_in_process(runtime: Runtime, app: FastAPI) -> None:
    """With the embedded engine in this process, the SDK's own requests (sync, events
    sent by ``client.send``) go to this app through ASGI instead of the network."""
    route_sdk_through(runtime.client, httpx.ASGITransport(app=app), timeout=30.0)


def create_app(runtime: Runtime, *, start_engine: bool = True) -> FastAPI:
    """Build the app; with the embedded engine its lifespan starts the engine and syncs
    the functions with it in-process (no sockets, no HTTP framework in between)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = runtime.engine
        if engine is not None and start_engine:
            route_sdk_in_process(runtime, app)
            await engine.start()
            # The engine calls its own copy of the functions through the SDK's handler
            # alone (jobs/sdk_transport.sdk_app): the same protocol as SERVE_PATH over
            # HTTP, which remote engines keep using, without this app's middleware.
            lean = sdk_app(runtime.client, runtime.functions, SERVE_PATH)
            await engine.register_app(
                url=serve_url(runtime), transport=httpx.ASGITransport(app=lean)
            )
            log.info(
                "engine started",
                url=f"http://{runtime.settings.host}:{runtime.settings.port}",
                functions=len(runtime.functions),
            )
        sampler = (
            asyncio.create_task(app.state.queue_samples.run(engine)) if engine is not None else None
        )
        try:
            yield
        finally:
            if sampler is not None:
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
            if engine is not None and start_engine:
                await engine.stop(timeout=10)

    # /docs and /redoc are ours (web/api_docs.py): FastAPI's load a CDN and inline script.
    app = FastAPI(
        title="TikTok Domain Harvester",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.worker_signatures = {}  # signatures of worker results seen (replays: 401)
    app.state.engine = runtime.engine  # the run API (web.api.runs) reads it
    app.state.queue_samples = QueueSamples()  # queue depth and lag over the last hour
    inngest.fast_api.serve(app, runtime.client, runtime.functions, serve_path=SERVE_PATH)
    for route in app.routes:  # the SDK protocol endpoint is not part of our API's docs
        if getattr(route, "path", None) == SERVE_PATH and hasattr(route, "include_in_schema"):
            route.include_in_schema = False
    if runtime.engine is not None:
        app.include_router(runtime.engine.router)

    # Bodies are checked inside the gate, so an unauthenticated client is refused first.
    app.add_middleware(JSONBodyGuardMiddleware)
    # Off loopback the engine's run API needs the admin token like ours (see security.py).
    app.add_middleware(AdminGateMiddleware)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    error_pages.install(app)  # browsers get pages in the dashboard's layout, clients JSON

    @app.exception_handler(StorageUnavailable)
    async def storage_unavailable(request: Request, exc: StorageUnavailable) -> Response:
        """Disk full, read-only or locked: a clear 503 (retry), never a half-done write."""
        cause = storage_problem(exc)
        if cause is None:
            raise exc
        log.error("storage unavailable", path=request.url.path, cause=cause)
        detail = f"storage unavailable, nothing was stored: {cause}; retry later"
        return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "5"})

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        try:
            export_quota(runtime.guard.quota)  # read at scrape time: shared by processes
        except Exception:
            log.warning("quota gauges not updated", exc_info=True)
        try:
            if runtime.engine is not None:
                export_runs(runtime.engine)  # the runs as the engine recorded them
        except Exception:
            log.warning("run gauges not updated", exc_info=True)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health", tags=["ops"])
    def health() -> dict[str, object]:
        """Liveness: the process serves; details are in /api/v1/health."""
        return {"ok": True, "version": __version__, "engine": runtime.engine is not None}

    app.include_router(api_docs.router)
    app.include_router(worker_results.router)
    app.include_router(api.router)
    app.include_router(feeds_routes.router)
    app.include_router(zeeschuimer.router)  # 4CAT's upload API, for Zeeschuimer
    app.include_router(imports_pages.router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=dashboard.STATIC_DIR), name="static")
    return app
