"""The engine's HTTP boundary: bad input gets a clear 4xx and stores nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from harvester.engine import Engine, EngineConfig


@pytest.fixture
async def http(sqlite_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Engine]]:
    cfg = EngineConfig(
        database_url=sqlite_url,
        max_event_request_bytes=50_000,
        max_event_bytes=10_000,
        open_registration=True,  # as `harvester engine` (the dev server's stand-in)
    )
    engine = Engine(cfg)
    app = FastAPI()
    app.include_router(engine.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as c:
        yield c, engine
    engine.close()


def _stored(engine: Engine) -> int:
    return len(engine.list_events(limit=500))


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"\xff\xfe", 400, "not valid JSON"),
        (json.dumps({"data": {}}).encode(), 400, "name is required"),
        (json.dumps({"name": 5}).encode(), 400, "name is required"),
        (json.dumps({"name": "inngest/function.failed"}).encode(), 400, "reserved"),
        (json.dumps({"name": "a", "data": [1]}).encode(), 400, "data must be an object"),
        (json.dumps({"name": "a", "ts": "x"}).encode(), 400, "ts must be an integer"),
        (json.dumps([{"nope": 1}, {"name": "ok"}]).encode(), 400, "event[0].name"),
        (json.dumps({"name": "a", "data": {"x": "y" * 20_000}}).encode(), 413, "over"),
        (json.dumps([{"name": "a"}] * 5_000).encode(), 413, "over"),  # the request's limit
        (("[" * 100 + "]" * 100).encode(), 400, "nested"),
        (b"[" * 4_000 + b"]" * 4_000, 400, "nested"),  # past the parser's recursion limit
        (b'{"name": "a", "data": {"x": NaN}}', 400, "NaN"),
        (b'{"name": "a", "name": "b"}', 400, "duplicate key"),
        (b'{"name": "a\\udfff"}', 400, "surrogate"),
    ],
)
async def test_bad_events_are_refused_and_nothing_is_stored(
    http: tuple[httpx.AsyncClient, Engine], body: bytes, status: int, message: str
) -> None:
    client, engine = http
    res = await client.post(
        "/e/NO_EVENT_KEY_SET", content=body, headers={"content-type": "application/json"}
    )
    assert res.status_code == status
    assert message in res.json()["error"]
    assert _stored(engine) == 0


@pytest.mark.parametrize(
    ("bad", "status", "message"),
    [
        ({"nope": 1}, 400, "event[2].name"),
        ({"name": "a", "data": {"x": "y" * 20_000}}, 413, "over"),
    ],
)
async def test_a_bad_event_in_a_batch_keeps_the_valid_ones_before_it(
    http: tuple[httpx.AsyncClient, Engine], bad: dict[str, Any], status: int, message: str
) -> None:
    """As the dev server does: the events before the bad one are stored and their ids
    come back with the error; the bad one and those after it are not stored."""
    client, engine = http
    batch = [{"name": "b/one"}, {"name": "b/two"}, bad, {"name": "b/after"}]
    res = await client.post("/e/NO_EVENT_KEY_SET", json=batch)
    assert res.status_code == status
    answer = res.json()
    assert message in answer["error"] and answer["status"] == status
    assert len(answer["ids"]) == 2
    assert sorted(e.name for e in engine.list_events(limit=10)) == ["b/one", "b/two"]


async def test_good_events_get_ids_and_sql_ish_text_is_stored_verbatim(
    http: tuple[httpx.AsyncClient, Engine],
) -> None:
    client, engine = http
    text = "'; DROP TABLE engine_runs; -- <script>alert(1)</script>"
    res = await client.post("/e/key", json=[{"name": "a/b", "data": {"t": text}}, {"name": "a/c"}])
    assert res.status_code == 200 and len(res.json()["ids"]) == 2
    listed = (await client.get("/v1/events", params={"name": "a/b"})).json()["data"]
    assert listed[0]["data"]["t"] == text
    assert _stored(engine) == 2


def _fn(**extra: Any) -> dict[str, Any]:
    return {
        "id": "app-f",
        "name": "f",
        "triggers": [{"event": "x/y"}],
        "steps": {
            "step": {
                "id": "step",
                "name": "step",
                "runtime": {"type": "http", "url": "http://a/api?fnId=app-f"},
            }
        },
        **extra,
    }


@pytest.mark.parametrize(
    ("fn", "field"),
    [
        (_fn(triggers=[{"cron": "61 * * * *"}]), "triggers[0].cron"),
        (_fn(triggers=[{"event": "x", "expression": "event.data.x =="}]), "triggers[0].expression"),
        (_fn(concurrency=[{"limit": 0}]), "concurrency[0].limit"),
        (_fn(throttle={"limit": 10, "period": "1 minute"}), "throttle.period"),
        (_fn(singleton={"mode": "sometimes"}), "singleton.mode"),
        (_fn(triggers=[]), "triggers"),
    ],
)
async def test_bad_function_config_is_refused_at_sync_naming_the_field(
    http: tuple[httpx.AsyncClient, Engine], fn: dict[str, Any], field: str
) -> None:
    client, engine = http
    res = await client.post(
        "/fn/register",
        json={"url": "http://127.0.0.1/api", "appname": "app", "functions": [_fn(id="app-ok"), fn]},
    )
    assert res.status_code == 400
    assert "app-f" in res.json()["error"] and field in res.json()["error"]
    assert engine.list_functions() == []  # nothing partial: the good function was not synced


async def test_event_key_is_checked_outside_dev_mode(sqlite_url: str) -> None:
    engine = Engine(
        EngineConfig(
            database_url=sqlite_url, dev=False, event_key="right", signing_key="signkey-prod-abcd"
        )
    )
    app = FastAPI()
    app.include_router(engine.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as c:
        assert (await c.post("/e/wrong", json={"name": "a"})).status_code == 401
        assert (await c.post("/e/right", json={"name": "a"})).status_code == 200
        unsigned = await c.post("/fn/register", json={"url": "u", "functions": []})
        assert unsigned.status_code == 401
    engine.close()
