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
from harvester.engine.rest import iso

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
async def served(
    request: pytest.FixtureRequest,
    sqlite_url: str,
    model_url: str,  # noqa: F811
) -> AsyncIterator[tuple[Engine, str]]:
    eport, aport = _port(), _port()
    # A retry would take ten minutes: any call retried by mistake fails the test.
    cfg = EngineConfig(
        database_url=sqlite_url,
        poll_interval=0.02,
        retry_base_delay=600.0,
        inline_state_bytes=2_000,
        fire_crons=False,
        **getattr(request, "param", {}),
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
    # D3 (issue 30, 2): once the group is done the run no longer fans out, so the
    # discovery that follows runs "later" at once, as the dev server lets it
    # (maybeResetForceStepPlan): discovery, p1, p2, discovery with "later", the end.
    after = await run_of(engine, after_id)
    assert after.status == RunStatus.COMPLETED, after.error
    assert after.output == {"later": "x", "calls": 5}


async def test_failure_payload_and_a_missing_stack_over_http(
    served: tuple[Engine, str],
) -> None:
    """Issue 30, 3 and 4: ``inngest/function.failed`` carries ``data.error`` as the
    dev server's StandardError (``error``, ``name``, ``message``, ``stack``; no
    ``code``), which the SDK's on_failure handler reads; an error without a stack
    has no ``stack`` key at all."""
    engine, base = served
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        sent = await http.post("/e/key", json=[{"name": "h/doomed"}, {"name": "h/odd"}])
        (claude_id,) = (await http.post("/e/key", json={"name": "h/claude"})).json()["ids"]
    doomed_id, odd_id = sent.json()["ids"]
    # Issue 30, 1: the Anthropic adapter's headers go out as the SDK built them.
    claude = await run_of(engine, claude_id)
    assert claude.status == RunStatus.COMPLETED and claude.output == "echo c3", claude.error
    (asked,) = [seen for seen in _Model.seen if seen["path"] == "/v1/messages"]
    assert asked["x-api-key"] == "sk-ant" and asked["anthropic-version"] == "2023-06-01"
    doomed = await run_of(engine, doomed_id)
    assert doomed.status == RunStatus.FAILED
    failed = [e for e in engine.list_events(limit=50) if e.name == "inngest/function.failed"]
    handler = next(e for e in failed if e.data["run_id"] == doomed.run_id)
    error = handler.data["error"]
    assert error["error"] == "invalid status code: 500"
    assert error["name"] == "ValueError" and error["message"] == "boom"
    assert set(error) == {"error", "name", "message", "stack"}
    on_failure = await run_of(engine, handler.internal_id)
    assert on_failure.status == RunStatus.COMPLETED, on_failure.error
    assert on_failure.output == {
        "error": "invalid status code: 500",
        "keys": ["error", "message", "name", "stack"],
    }
    odd = await run_of(engine, odd_id)
    assert odd.status == RunStatus.FAILED and odd.error is not None
    assert "unserializable" in odd.error["message"] and "stack" not in odd.error
    await engine.wait_for_idle(timeout=20)


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


async def test_a_resent_request_and_the_rest_api_over_http(served: tuple[Engine, str]) -> None:
    """Issue 30, 5 and 9: the SDK's resend of one seeded request is stored twice (as
    the dev server stores every received event) with the same internal ids, and starts
    its runs once; /v1/events pages through every reception, newest first, and the
    run routes answer in the shapes of Inngest's REST API."""
    engine, base = served
    seed = f"1764547200000,{base64.b64encode(bytes(range(10, 20))).decode()}"
    batch = [{"name": "h/ok", "data": {"n": n}} for n in (7, 8)]
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        first, again = [
            await http.post("/e/key", json=batch, headers={"x-inngest-event-id-seed": seed})
            for _ in range(2)
        ]
        ids = first.json()["ids"]
        assert again.json()["ids"] == ids
        runs = [await run_of(engine, event_id) for event_id in ids]
        await engine.wait_for_idle(timeout=20)
        assert [len(engine.event_runs(i)) for i in ids] == [1, 1]  # runs start once

        page = (await http.get("/v1/events", params={"name": "h/ok", "limit": 3})).json()
        assert len(page["data"]) == 3 and page["cursor"]
        assert page["metadata"]["fetched_at"].endswith("Z")
        rest = await http.get("/v1/events", params={"name": "h/ok", "cursor": page["cursor"]})
        listed = page["data"] + rest.json()["data"]
        assert rest.json()["cursor"] is None
        assert sorted(e["internal_id"] for e in listed) == sorted(ids * 2)
        assert all(e["received_at"].endswith("Z") and e["name"] == "h/ok" for e in listed)
        assert len(engine.list_events(limit=50)) == 2  # our own list: distinct events

        later = await http.get("/v1/events", params={"received_after": "2999-01-01T00:00:00Z"})
        assert later.status_code == 200 and later.json()["data"] == []
        bad = await http.get("/v1/events", params={"received_after": "yesterday"})
        assert bad.status_code == 400 and "received_after" in bad.text

        one = (await http.get(f"/v1/runs/{runs[0].run_id}")).json()["data"]
        assert one["run_id"] == runs[0].run_id and one["status"] == "COMPLETED"
        assert one["function_id"] == "conf-ok" and one["event_id"] == ids[0]
        assert one["output"] == 7 and one["ended_at"].endswith("Z")
        by_event = (await http.get(f"/v1/events/{ids[1]}/runs")).json()["data"]
        assert [r["run_id"] for r in by_event] == [runs[1].run_id]
        missing = await http.get("/v1/runs/nope")
        assert missing.status_code == 404 and "run_id" in missing.text


async def test_remote_state_and_use_api_over_http(served: tuple[Engine, str]) -> None:
    """Issue 30, 7: the remote-state middleware's markers are memoised as any step
    output, and a state over the inline limit goes with ``use_api``: the SDK fetches
    it from /v0/runs/{id}/actions and /batch, answered as the dev server answers."""
    engine, base = served
    event = {"name": "h/remote", "data": {"blob": "z" * 3_000}}  # over 2,000 bytes inline
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        (event_id,) = (await http.post("/e/key", json=event)).json()["ids"]
        run = await run_of(engine, event_id)
        assert run.status == RunStatus.COMPLETED, run.error
        assert run.output == {"big": 3_000, "small": {"n": 1}}
        actions = (await http.get(f"/v0/runs/{run.run_id}/actions")).json()
        markers = [m for m in actions.values() if "__REMOTE_STATE__" in (m.get("data") or {})]
        assert len(markers) == 2  # both outputs live in the app's store, not here
        batch = (await http.get(f"/v0/runs/{run.run_id}/batch")).json()
        assert batch[0]["name"] == "h/remote" and len(batch[0]["data"]["blob"]) == 3_000
        gone = await http.get(f"/v0/runs/{'0' * 32}/actions")
        assert gone.status_code == 404  # the dev server: 410 (docs/engine.md)
        bad = await http.get("/v0/runs/no%20such/batch")
        assert bad.status_code == 400 and "run_id" in bad.text
        # Out of scope, said plainly: Connect and realtime get a 501 naming them.
        for path in ("/v0/connect/start", "/v1/realtime/publish?channel=c&topic=t"):
            res = await http.post(path, json={})
            assert res.status_code == 501 and "not supported" in res.json()["error"]


@pytest.mark.parametrize("served", [{"request_timeout": 4.0}], indirect=True)
async def test_a_streamed_call_is_timed_out_like_any_other(served: tuple[Engine, str]) -> None:
    """Issue 30, 6: a streamed reply (201, a keep-alive byte every 3 s) never trips the
    client's read timeout; the call's whole exchange is bounded by request_timeout,
    so a 12 s function fails its attempt at 4 s (no retries left: the run fails)."""
    engine, base = served
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        (slow_id,) = (await http.post("/e/key", json={"name": "h/slow"})).json()["ids"]
        (ok_id,) = (await http.post("/e/key", json={"name": "h/ok", "data": {"n": 4}})).json()[
            "ids"
        ]
    ok = await run_of(engine, ok_id)
    assert ok.status == RunStatus.COMPLETED and ok.output == 4  # streamed and unwrapped
    slow = await run_of(engine, slow_id, timeout=30)
    assert slow.status == RunStatus.FAILED and slow.error is not None
    assert slow.error["name"] == "RequestTimeout"


async def _until_waiting(engine: Engine, event_ids: list[str]) -> list[str]:
    """The runs of ``event_ids`` once each is RUNNING (waiting for its event)."""
    for _ in range(500):
        runs = [engine.event_runs(i) for i in event_ids]
        if all(r and r[0].status == RunStatus.RUNNING for r in runs):
            return [r[0].run_id for r in runs]
        await asyncio.sleep(0.02)
    raise AssertionError("the runs did not start waiting")


async def test_bulk_cancellation_over_http(served: tuple[Engine, str]) -> None:
    """Issue 30, 8: POST /v1/cancellations cancels the function's unfinished runs in
    the window that match ``if``; GET lists the job, DELETE removes it; the write
    routes refuse what the browser guard refuses and name a bad field."""
    engine, base = served
    events = [{"name": "h/kid", "data": {"n": n}} for n in (1, 2, 3)]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        ids = (await http.post("/e/key", json=events)).json()["ids"]
        run_ids = await _until_waiting(engine, ids)
        body = {
            "app_id": "conf",
            "function_id": "kid",
            "started_before": iso(engine.cfg.clock() + 1),
            "if": "event.data.n > 1",
        }
        foreign = await http.post(
            "/v1/cancellations", json=body, headers={"origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        missing = {k: v for k, v in body.items() if k != "started_before"}
        bad = await http.post("/v1/cancellations", json=missing)
        assert bad.status_code == 400 and "started_before" in bad.json()["error"]
        made = await http.post("/v1/cancellations", json=body)
        assert made.status_code == 200, made.text
        job = made.json()
        assert job["cancelled"] == 2 and job["done"] and job["function_id"] == "kid"
        statuses = [engine.get_run(r).status for r in run_ids]  # type: ignore[union-attr]
        assert statuses == [RunStatus.RUNNING, RunStatus.CANCELLED, RunStatus.CANCELLED]
        listed = (await http.get("/v1/cancellations")).json()["data"]
        assert [j["id"] for j in listed] == [job["id"]]
        cross = {"sec-fetch-site": "cross-site", "origin": "https://evil.example"}
        refused = await http.delete(f"/v1/cancellations/{job['id']}", headers=cross)
        assert refused.status_code == 403
        assert (await http.delete(f"/v1/cancellations/{job['id']}")).status_code == 200
        assert (await http.delete(f"/v1/cancellations/{job['id']}")).status_code == 404
        await http.post("/e/key", json={"name": "h/release", "data": {}})
    kid = await engine.wait_for_run(run_ids[0], timeout=20)
    assert kid.status == RunStatus.COMPLETED and kid.output == "kid"
