"""The engine alone as an ASGI app (``harvester engine``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from harvester.engine.config import EngineConfig
from harvester.engine.core import Engine


def create_app(cfg: EngineConfig) -> FastAPI:
    engine = Engine(cfg)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await engine.start()
        try:
            yield
        finally:
            await engine.stop()

    app = FastAPI(title="harvester engine", lifespan=lifespan)
    app.state.engine = engine
    app.include_router(engine.router)

    @app.get("/health")
    def health() -> dict[str, bool]:
        return {"ok": True}

    return app
