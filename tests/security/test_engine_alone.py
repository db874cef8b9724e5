"""`harvester engine`, the dev server's stand-in: open to SDK apps on the machine, yet
what a browser sends for another site is refused there too, the run API included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from harvester.engine import EngineConfig, create_engine_app
from harvester.engine.server import security_summary
from harvester.web.api.runs import standalone_router
from tests.security.test_engine_writes import _fn


@pytest.fixture
async def engine_alone(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_engine_app(EngineConfig(database_url=f"sqlite:///{tmp_path}/e.db"))
    app.include_router(standalone_router())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8288") as c:
        yield c
    app.state.engine.close()


async def test_sdk_apps_register_and_send_but_pages_do_not(
    engine_alone: httpx.AsyncClient,
) -> None:
    c = engine_alone
    app = "http://127.0.0.1:9/api/inngest"
    body = {"url": app, "appname": "dev-app", "functions": [_fn(app)]}
    page = {"Origin": "http://127.0.0.1:3000", "Sec-Fetch-Site": "same-site"}
    assert (await c.post("/fn/register", json=body, headers=page)).status_code == 403
    assert (await c.post("/fn/register", json=body)).status_code == 200
    for path in ("/e/k", "/api/v1/runs/cancel", "/api/v1/events"):
        res = await c.post(path, json={"name": "test/ping"}, headers=page)
        assert res.status_code == 403, (path, res.text)
    form = {"content-type": "text/plain"}
    assert (await c.post("/e/k", content=b'{"name": "test/ping"}', headers=form)).status_code == 415
    assert (await c.post("/e/k", json={"name": "test/ping"})).status_code == 200


def test_the_engine_says_at_start_who_may_write() -> None:
    line = security_summary(EngineConfig(open_registration=True, event_key="k"))
    assert "cross-site browser requests refused" in line and "INNGEST_EVENT_KEY only" in line
