"""Where an unchanged SDK app can tell the engine from the Inngest dev server, it
must not (issue 20): failed outputs, no-retry step errors, event ids, big payloads."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import inngest

from harvester.engine import Engine, RunRecord, RunStatus

from .harness import engine_app, running


async def _run_of(engine: Engine, event_id: str) -> RunRecord:
    for _ in range(400):
        runs = engine.event_runs(event_id)
        if runs:
            return await engine.wait_for_run(runs[0].run_id, timeout=20)
        await asyncio.sleep(0.02)
    raise AssertionError("no run started")


def _client(engine: Engine) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=engine_app(engine)), base_url="http://engine"
    )


async def _gql_run(engine: Engine, run_id: str) -> dict[str, Any]:
    query = "query($id: ID!) { run(runID: $id) { status output } }"
    async with _client(engine) as http:
        res = await http.post("/v0/gql", json={"query": query, "variables": {"id": run_id}})
    run: dict[str, Any] = res.json()["data"]["run"]
    return run


async def test_failed_run_output_is_the_sdk_error_body_with_its_code(sqlite_url: str) -> None:
    failures: list[dict[str, Any]] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        async def on_failure(ctx: inngest.Context) -> None:
            failures.append(dict(ctx.event.data["error"]))

        @client.create_function(
            fn_id="nope", on_failure=on_failure, trigger=inngest.TriggerEvent(event="c/nope")
        )
        async def nope(ctx: inngest.Context) -> None:
            raise inngest.NonRetriableError("never again")

        return [nope]

    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "c/nope", "data": {}}])
        run = await _run_of(engine, eid)
        await engine.wait_for_idle(timeout=10)
        shown = await _gql_run(engine, run.run_id)
    assert shown["status"] == RunStatus.FAILED
    output = json.loads(shown["output"])
    assert output["code"] == "non_retriable_error"
    assert output["name"] == "NonRetriableError" and output["message"] == "never again"
    assert failures and failures[0]["code"] == "non_retriable_error"
    assert failures[0]["message"] == "never again"


async def test_a_step_error_marked_no_retry_is_memoised_at_once(sqlite_url: str) -> None:
    outer_calls: list[int] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="nested", retries=4, trigger=inngest.TriggerEvent(event="c/nested")
        )
        async def nested(ctx: inngest.Context) -> None:
            async def outer() -> int:
                outer_calls.append(1)
                return await ctx.step.run("inner", lambda: 1)  # nested: never retriable

            await ctx.step.run("outer", outer)

        return [nested]

    # A base delay so large that one retry of the step would outlive the test.
    async with running(fns, sqlite_url) as engine:
        engine.cfg.retry_base_delay = 600.0
        (eid,) = await engine.send([{"name": "c/nested", "data": {}}])
        run = await _run_of(engine, eid)
    assert run.status == RunStatus.FAILED
    assert outer_calls == [1]
    assert run.error is not None and run.error.get("code") == "step_errored"
