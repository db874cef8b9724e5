"""The dashboard's run pages know every run status the engine records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harvester.engine import Engine, RunStatus
from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.web.app import create_app


def _rate_limited_fn() -> dict[str, Any]:
    return {
        "id": "once",
        "name": "once",
        "triggers": [{"event": "t/once"}],
        "rateLimit": {"limit": 1, "period": "1h"},
        "steps": {
            "step": {"id": "step", "runtime": {"type": "http", "url": "http://a/api?fnId=once"}}
        },
    }


@pytest.fixture
async def dashboard(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Engine]]:
    runtime = build_runtime(Settings(data_dir=tmp_path))
    app = create_app(runtime, start_engine=False)
    engine = runtime.engine
    assert engine is not None
    engine.register("http://a/api", "a", [_rate_limited_fn()])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
    ) as client:
        yield client, engine
    engine.close()


async def test_a_skipped_run_page_stops_polling_and_the_filter_finds_it(
    dashboard: tuple[httpx.AsyncClient, Engine],
) -> None:
    client, engine = dashboard
    engine.ingest([{"name": "t/once", "data": {}}, {"name": "t/once", "data": {}}])
    runs = {r.status: r.run_id for r in engine.list_runs(fn="once").data}
    assert set(runs) == {RunStatus.QUEUED, RunStatus.SKIPPED}
    skipped, queued = runs[RunStatus.SKIPPED], runs[RunStatus.QUEUED]

    page = await client.get(f"/runs/{skipped}")
    assert page.status_code == 200
    assert "hx-trigger" not in page.text  # a finished run's page does not poll
    assert "hx-trigger" in (await client.get(f"/runs/{queued}")).text  # a live one does

    listed = (await client.get("/runs", params={"status": "SKIPPED"})).text
    # whole ids: two runs made in the same millisecond share their first 13 hex digits
    assert skipped in listed and queued not in listed
    assert "<option selected>SKIPPED</option>" in listed
