"""The engine alone as an ASGI app (``harvester engine``): the dev server's stand-in.

Like the Inngest dev server it takes registrations from any SDK app on the machine
(``open_registration``), but every write still refuses what a browser sends on another
site's behalf (``browser_guard``), and with keys set they are enforced (docs/security.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from harvester.engine.browser_guard import BrowserGuardMiddleware
from harvester.engine.config import EngineConfig
from harvester.engine.core import Engine

log = structlog.get_logger("harvester.engine")


def security_summary(cfg: EngineConfig) -> str:
    """One line saying who may write to this engine, printed at start."""
    sync = (
        "open to SDK apps on loopback"
        + (" and " + ", ".join(cfg.app_hosts) if cfg.app_hosts else "")
        if cfg.open_registration
        else "its own and signed syncs only"
    )
    events = "INNGEST_EVENT_KEY only" if cfg.event_key else "any key (dev mode)"
    signed = "required (INNGEST_SIGNING_KEY)" if cfg.signing_key else "not set"
    origins = ", ".join(cfg.allowed_origins) or "none"
    return (
        f"registration {sync}; events {events}; signing key {signed}; cross-site browser "
        f"requests refused (allowed origins: {origins})"
    )


def create_app(cfg: EngineConfig, *, open_registration: bool = True) -> FastAPI:
    """The engine's app; ``open_registration`` as the dev server (SDK development)."""
    cfg = dataclasses.replace(cfg, open_registration=open_registration)
    engine = Engine(cfg)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        log.info("engine security", summary=security_summary(cfg))
        await engine.start()
        try:
            yield
        finally:
            await engine.stop()

    app = FastAPI(title="harvester engine", lifespan=lifespan)
    app.state.engine = engine
    app.include_router(engine.router)
    # The run API beside the protocol (cancel, replay) gets the same browser check.
    app.add_middleware(
        BrowserGuardMiddleware, bind_host=cfg.host, allowed_origins=cfg.allowed_origins
    )

    @app.get("/health")
    def health() -> dict[str, bool]:
        return {"ok": True}

    return app
