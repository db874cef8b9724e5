"""The JSON API refuses what the UI and CLI refuse: our own events with a payload that
does not fit (422, nothing stored, no run), unknown run statuses and functions (422
naming the allowed ones); and it takes the functions' short names as the CLI does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from harvester.jobs.events import DISCOVERY_REQUESTED, HARVEST_REQUESTED
from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.web.app import create_app


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path)
    runtime = build_runtime(settings, engine_config={"fire_crons": False})
    app: FastAPI = create_app(runtime)
    async with app.router.lifespan_context(app):  # starts the engine, syncs the functions
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            yield c
    await runtime.aclose()


async def test_an_event_of_ours_that_does_not_fit_is_422_and_starts_nothing(
    client: httpx.AsyncClient,
) -> None:
    res = await client.post("/api/v1/events", json={"name": HARVEST_REQUESTED, "data": {}})
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert f"data does not fit {HARVEST_REQUESTED}" in detail and "video_id" in detail
    assert (await client.get("/api/v1/events")).json()["data"] == []
    assert (await client.get("/api/v1/runs")).json()["data"] == []


async def test_in_a_list_the_bad_event_is_named_and_none_is_stored(
    client: httpx.AsyncClient,
) -> None:
    good = {"name": "test/ping", "data": {}}
    res = await client.post("/api/v1/events", json=[good, {"name": HARVEST_REQUESTED}])
    assert res.status_code == 422 and res.json()["detail"].startswith("event[1]: ")
    assert (await client.get("/api/v1/events")).json()["data"] == []


async def test_events_that_fit_and_events_not_ours_are_taken(client: httpx.AsyncClient) -> None:
    res = await client.post(
        "/api/v1/events",
        json=[{"name": DISCOVERY_REQUESTED, "data": {"limit": 1}}, {"name": "x/y", "data": {}}],
    )
    assert res.status_code == 200 and len(res.json()["ids"]) == 2


async def test_an_unknown_status_is_422_naming_the_states(client: httpx.AsyncClient) -> None:
    res = await client.get("/api/v1/runs", params={"status": "BOGUS"})
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert "'BOGUS'" in detail and "COMPLETED" in detail and "FAILED" in detail
    assert (await client.get("/api/v1/runs", params={"status": "failed"})).status_code == 200


async def test_functions_by_short_name_or_422_listing_them(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/events", json={"name": DISCOVERY_REQUESTED, "data": {"limit": 1}})
    ids = [f["id"] for f in (await client.get("/api/v1/functions")).json()["data"]]
    full = next(i for i in ids if i.endswith("-discover-videos"))
    short = await client.get("/api/v1/runs", params={"fn": "discover-videos"})
    whole = await client.get("/api/v1/runs", params={"fn": full})
    assert short.status_code == 200 and short.json() == whole.json()
    bad = await client.get("/api/v1/runs", params={"fn": "nope"})
    assert bad.status_code == 422 and full in bad.json()["detail"]
    cancel = await client.post(
        "/api/v1/runs/cancel", json={"fn": "discover-videos", "since": 0, "until": 1}
    )
    assert cancel.status_code == 200
