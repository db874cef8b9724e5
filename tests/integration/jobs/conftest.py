"""A whole harvester runtime on the embedded engine, the simulator in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from harvester.clock import OffsetClock, installed_as
from harvester.runtime import Runtime, build_runtime
from harvester.settings import Settings
from harvester.sim.tiktok import Faults
from harvester.sim.tiktok import create_app as create_sim_app
from harvester.web.app import create_app

# No cron runs: a discovery at a */10 boundary would keep the engine busy for minutes.
FAST_ENGINE = {"retry_base_delay": 0.05, "fire_crons": False}

PipelineFactory = Callable[..., Any]
# The simulated world changes with the time of day (campaigns start and stop, a few
# new ads every 10 minutes): tests that count what a cycle finds see it at this moment.
NOW = datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)


@pytest.fixture
def pipeline(tmp_path: Path) -> PipelineFactory:
    """``async with pipeline(faults=...) as (runtime, sim_app):`` a started runtime."""

    @asynccontextmanager
    async def make(
        faults: Faults | None = None,
        seed: int = 7,
        at: datetime | None = None,
        **overrides: Any,
    ) -> AsyncIterator[tuple[Runtime, Any]]:
        settings = Settings(
            data_dir=tmp_path, regions="FR", api_rate_per_minute=100_000, **overrides
        )
        # At ``at`` the whole process runs on one clock that starts there and moves at
        # real speed: the simulator, the engine's timers, the guard and "today" agree.
        with installed_as(OffsetClock(at)) if at else nullcontext():
            sim = create_sim_app(seed=seed, faults=faults)
            runtime = build_runtime(
                settings, engine_config=FAST_ENGINE, source_transport=httpx.ASGITransport(app=sim)
            )
            app = create_app(runtime)
            try:
                async with app.router.lifespan_context(app):
                    yield runtime, sim
            finally:
                await runtime.aclose()

    return make
