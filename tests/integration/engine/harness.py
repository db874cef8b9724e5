"""An SDK app served in-process and synced with an embedded engine (no sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import inngest
import inngest.fast_api
from fastapi import FastAPI

from harvester.engine import Engine, EngineConfig, RunRecord
from harvester.jobs.sdk_transport import route_sdk_through
from harvester.web.api.runs import standalone_router

APP_URL = "http://testapp:8288/api/inngest"


def engine_app(engine: Engine) -> FastAPI:
    """An app serving the engine's protocol routes and our run API (``/api/v1``), as
    ``harvester engine`` does."""
    app = FastAPI()
    app.include_router(engine.router)
    app.include_router(standalone_router())
    app.state.engine = engine
    return app


def dev_client(app_id: str) -> inngest.Inngest:
    """An SDK client in dev mode whose engine is reached through ``route_sdk_in_process``."""
    return inngest.Inngest(
        app_id=app_id,
        is_production=False,
        api_base_url="http://testapp:8288",
        event_api_base_url="http://testapp:8288",
    )


def route_sdk_in_process(client: inngest.Inngest, app: FastAPI) -> None:
    """Send the SDK's own calls (sync, events) through the ASGI app, not the network."""
    route_sdk_through(client, httpx.ASGITransport(app=app))


@asynccontextmanager
async def running(
    fns_factory: Any,
    db_url: str,
    sdk_signing_key: str | None = None,
    serve: dict[str, Any] | None = None,
    **cfg: Any,
) -> AsyncIterator[Engine]:
    client = inngest.Inngest(
        app_id="test",
        is_production=sdk_signing_key is not None,
        signing_key=sdk_signing_key,
        event_key="ek" if sdk_signing_key else None,
        api_base_url="http://testapp:8288",
        event_api_base_url="http://testapp:8288",
    )
    fns = fns_factory(client)
    settings: dict[str, Any] = {"retry_base_delay": 0.01, "poll_interval": 0.02, **cfg}
    engine = Engine(EngineConfig(database_url=db_url, **settings))
    app = engine_app(engine)
    inngest.fast_api.serve(app, client, fns, **(serve or {}))
    route_sdk_in_process(client, app)
    await engine.start()
    try:
        await engine.register_app(APP_URL, transport=httpx.ASGITransport(app=app))
        yield engine
    finally:
        await engine.stop()
        engine.close()


async def run_of(engine: Engine, event_id: str, timeout: float = 20.0) -> RunRecord:
    """The finished run an event started (``send`` answers with event ids)."""
    for _ in range(400):
        runs = engine.event_runs(event_id)
        if runs:
            return await engine.wait_for_run(runs[0].run_id, timeout=timeout)
        await asyncio.sleep(0.02)
    raise AssertionError(f"event {event_id} started no run")


async def finish_all(engines: list[Engine], timeout: float = 60.0) -> None:
    """Wait until every engine is idle, then stop and close them all (even if one
    never goes idle)."""
    try:
        for engine in engines:
            await engine.wait_for_idle(timeout=timeout)
    finally:
        for engine in engines:
            await engine.stop()
            engine.close()
