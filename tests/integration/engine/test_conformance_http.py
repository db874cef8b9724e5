"""Issue 20's behaviours over real loopback HTTP: the engine served by uvicorn, an
unchanged SDK app in its own process replying in streaming mode, a model stand-in; for
Retry-After on a step's error, which the SDK never sends, a protocol-level app."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from harvester.engine import Engine, EngineConfig, RunStatus

from .harness import engine_app, run_of
from .test_conformance import (  # noqa: F401 (model_url: a fixture)
    _Model,
    model_url,
    register_raw,
    retry_after_app,
)
from .test_crash import _port

APP = Path(__file__).with_name("conformance_app.py")


async def _until_up(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            try:
                await http.get(url, timeout=1)
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture
async def served(sqlite_url: str, model_url: str) -> AsyncIterator[tuple[Engine, str]]:  # noqa: F811
    eport, aport = _port(), _port()
    # A retry would take ten minutes: any call retried by mistake fails the test.
    cfg = EngineConfig(
        database_url=sqlite_url,
        poll_interval=0.02,
        retry_base_delay=600.0,
        inline_state_bytes=2_000,
        fire_crons=False,
    )
    engine = Engine(cfg)
    server = uvicorn.Server(
        uvicorn.Config(engine_app(engine), host="127.0.0.1", port=eport, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    await engine.start()
    env = {**os.environ, "INNGEST_DEV": "1", "INNGEST_BASE_URL": f"http://127.0.0.1:{eport}"}
    app = subprocess.Popen(
        [sys.executable, str(APP), str(aport), model_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await _until_up(f"http://127.0.0.1:{aport}/api/inngest")
        async with httpx.AsyncClient() as http:  # what the dev server does on discovery
            sync = await http.put(f"http://127.0.0.1:{aport}/api/inngest", timeout=10)
        assert sync.status_code == 200, sync.text
        yield engine, f"http://127.0.0.1:{eport}"
    finally:
        app.terminate()
        app.wait(timeout=15)
        await engine.stop()
        server.should_exit = True
        await serving
        engine.close()


async def test_an_sdk_app_over_http_sees_the_dev_servers_behaviour(
    served: tuple[Engine, str],
) -> None:
    engine, base = served
    seed = f"1764547200000,{base64.b64encode(bytes(range(10))).decode()}"
    batch = [{"name": n, "data": {}} for n in ("h/fails", "h/nested", "h/mum")]
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        # F: the same request twice (a resend after a lost reply): the same events.
        first, again = [
            await http.post("/e/key", json=batch, headers={"x-inngest-event-id-seed": seed})
            for _ in range(2)
        ]
        assert first.json()["ids"] == again.json()["ids"] and len(first.json()["ids"]) == 3
        assert len(engine.list_events(limit=50)) == 3
        fails_id, nested_id, mum_id = first.json()["ids"]

        # A: a failed run's output is the SDK's error body, with its code.
        fails = await run_of(engine, fails_id)
        query = "query($id: ID!) { run(runID: $id) { status output } }"
        res = await http.post("/v0/gql", json={"query": query, "variables": {"id": fails.run_id}})
        shown = res.json()["data"]["run"]
        assert shown["status"] == RunStatus.FAILED
        assert json.loads(shown["output"])["code"] == "non_retriable_error"

        # B: a nested step's no-retry error is memoised at once (no ten-minute retry).
        nested = await run_of(engine, nested_id)
        assert nested.status == RunStatus.FAILED
        assert nested.error is not None and nested.error["code"] == "step_errored"

        # C, D, E, G: ai.infer, a parallel invoke started once, a state too big to inline.
        await engine.wait_for_idle(timeout=30)
        assert len(engine.list_runs(fn="conf-kid").data) == 1
        await http.post("/e/key", json={"name": "h/release", "data": {}})
        mum = await run_of(engine, mum_id)
    assert mum.status == RunStatus.COMPLETED, mum.error
    assert mum.output == {"answer": "echo m2", "both": [5_000, "kid"]}
    assert len(engine.list_runs(fn="conf-kid").data) == 1
    assert len(_Model.seen) == 1


async def test_race_mode_and_planning_after_a_group_over_http(
    served: tuple[Engine, str],
) -> None:
    engine, base = served
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        sent = await http.post("/e/key", json=[{"name": n} for n in ("h/race", "h/after")])
    race_id, after_id = sent.json()["ids"]
    # D2: branch two's step ends only once branch one's second step has run, which
    # needs discovery after each step ("race"), not after the whole group.
    race = await run_of(engine, race_id)
    assert race.status == RunStatus.COMPLETED, race.error
    assert race.output == ["ab", "slow"]
    # D3: after a reply with two ops, "later" is planned in one call and run in
    # another: discovery, p1, p2, discovery, later, the final call.
    after = await run_of(engine, after_id)
    assert after.status == RunStatus.COMPLETED, after.error
    assert after.output == {"later": "x", "calls": 6}


MIB = 1024 * 1024


def _big(n_bytes: int) -> dict[str, object]:
    return {"name": "h/unheard", "data": {"blob": "x" * n_bytes}}


async def test_a_bad_event_and_the_size_limits_over_http(served: tuple[Engine, str]) -> None:
    engine, base = served
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        # F2: the valid events before the bad one are stored and start their runs.
        batch = [{"name": "h/ok", "data": {"n": n}} for n in (1, 2)]
        batch += [{"data": {}}, {"name": "h/ok", "data": {"n": 3}}]
        res = await http.post("/e/key", json=batch)
        assert res.status_code == 400
        body = res.json()
        assert body["status"] == 400 and len(body["ids"]) == 2
        assert "event[2]" in body["error"]
        runs = [await run_of(engine, event_id) for event_id in body["ids"]]
        assert [r.output for r in runs] == [1, 2]
        assert len(engine.list_events(limit=50)) == 2  # not the bad one, not the one after

        # E: one event over 3 MiB: 413, the event before it stored.
        res = await http.post("/e/key", json=[{"name": "h/unheard"}, _big(3 * MIB + 1)])
        assert res.status_code == 413 and len(res.json()["ids"]) == 1
        assert "event[1]" in res.json()["error"]

        # E: 10 MiB in one request (the SDK batches up to 8 MiB): stored.
        res = await http.post("/e/key", json=[_big(5 * MIB // 2) for _ in range(4)])
        assert res.status_code == 200 and len(res.json()["ids"]) == 4

        # E: over 16 MiB in one request, every event under its limit: 413, none stored.
        res = await http.post("/e/key", json=[_big(5 * MIB // 2) for _ in range(7)])
        assert res.status_code == 413 and res.json()["ids"] == []
        assert len(engine.list_events(limit=50)) == 2 + 1 + 4


async def test_retry_after_is_honoured_over_http(served: tuple[Engine, str]) -> None:
    """B: the SDK's RetryAfterError (Retry-After on a function's error reply) and, from a
    protocol-level app over loopback, Retry-After on a step's error reply (206): with a
    ten-minute backoff, a run ends in time only if the header set its retry."""
    engine, base = served
    calls: list[str | None] = []
    port = _port()
    raw = uvicorn.Server(
        uvicorn.Config(retry_after_app(calls), host="127.0.0.1", port=port, log_level="warning")
    )
    serving = asyncio.create_task(raw.serve())
    try:
        url = f"http://127.0.0.1:{port}/api"
        await _until_up(url)
        await engine.register_app(url)
        register_raw(engine, url)
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            sent = await http.post("/e/key", json=[{"name": "h/later"}, {"name": "r/x"}])
        later_id, raw_id = sent.json()["ids"]
        later, stepped = await run_of(engine, later_id), await run_of(engine, raw_id)
    finally:
        raw.should_exit = True
        await serving
    assert later.status == RunStatus.COMPLETED and later.output == 1, later.error
    assert stepped.status == RunStatus.COMPLETED and stepped.output == "done", stepped.error
    assert len(calls) == 3
