"""Cancellation, timeouts, RetryAfterError, wildcards, idempotency and the SDK
call-backs, with real SDK functions on the embedded engine."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import inngest

from harvester.engine import RunStatus

from .harness import engine_app, run_of, running


async def test_cancel_on_event_with_if_expression(sqlite_url: str) -> None:
    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="long",
            trigger=inngest.TriggerEvent(event="t/long"),
            cancel=[inngest.Cancel(event="t/stop", if_exp="async.data.k == event.data.k")],
        )
        async def long(ctx: inngest.Context) -> None:
            await ctx.step.sleep("wait", timedelta(hours=1))

        return [long]

    async with running(fns, sqlite_url) as engine:
        (a,) = await engine.send([{"name": "t/long", "data": {"k": 1}}])
        (b,) = await engine.send([{"name": "t/long", "data": {"k": 2}}])
        await engine.wait_for_idle(10)
        await engine.send([{"name": "t/stop", "data": {"k": 1}}])
        run_a = await run_of(engine, a)
        run_b = engine.event_runs(b)[0]
    assert run_a.status == RunStatus.CANCELLED
    assert run_b.status in (RunStatus.RUNNING, RunStatus.QUEUED)


async def test_a_run_cancelled_by_the_same_batch_never_runs_a_step(sqlite_url: str) -> None:
    """A start event and its cancel event sent together: the run is cancelled before its
    first step, which must not execute (even though a worker was free to start it)."""
    effects: list[str] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="job",
            trigger=inngest.TriggerEvent(event="t/job"),
            cancel=[inngest.Cancel(event="t/job.stop", if_exp="async.data.k == event.data.k")],
        )
        async def job(ctx: inngest.Context) -> None:
            await ctx.step.run("effect", lambda: effects.append(ctx.event.data["k"]))

        return [job]

    async with running(fns, sqlite_url, workers=1) as engine:  # one worker: it must come back
        a, _ = await engine.send(
            [{"name": "t/job", "data": {"k": 1}}, {"name": "t/job.stop", "data": {"k": 1}}]
        )
        (b,) = await engine.send([{"name": "t/job", "data": {"k": 2}}])
        await engine.wait_for_idle(10)
        run_a = engine.event_runs(a)[0]
        run_b = await run_of(engine, b)
    assert run_a.status == RunStatus.CANCELLED
    assert run_b.status == RunStatus.COMPLETED
    assert effects == [2]  # the cancelled run's step never ran; the worker was given back


async def test_finish_timeout_cancels_the_run(sqlite_url: str) -> None:
    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="slow",
            trigger=inngest.TriggerEvent(event="t/slow"),
            timeouts=inngest.Timeouts(finish=timedelta(seconds=1)),
        )
        async def slow(ctx: inngest.Context) -> None:
            await ctx.step.sleep("nap", timedelta(seconds=30))

        return [slow]

    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "t/slow", "data": {}}])
        run = await run_of(engine, eid)
    assert run.status == RunStatus.CANCELLED
    assert "finish timeout" in run.error["message"]


async def test_retry_after_error_is_honoured(sqlite_url: str) -> None:
    attempts: list[float] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="later", retries=2, trigger=inngest.TriggerEvent(event="t/later")
        )
        async def later(ctx: inngest.Context) -> str:
            attempts.append(asyncio.get_running_loop().time())
            if len(attempts) == 1:
                raise inngest.RetryAfterError("busy", datetime.now(UTC) + timedelta(seconds=1.5))
            return "done"

        return [later]

    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "t/later", "data": {}}])
        run = await run_of(engine, eid)
    assert run.status == RunStatus.COMPLETED
    assert attempts[1] - attempts[0] >= 1.0  # not the 10 ms test backoff


async def test_wildcard_triggers_and_idempotency_key(sqlite_url: str) -> None:
    seen: list[str] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="wild",
            trigger=inngest.TriggerEvent(event="app/user.*"),
            idempotency="event.data.user",
        )
        async def wild(ctx: inngest.Context) -> None:
            seen.append(ctx.event.name)

        return [wild]

    async with running(fns, sqlite_url) as engine:
        await engine.send(
            [
                {"name": "app/user.created", "data": {"user": "a"}},
                {"name": "app/user.deleted", "data": {"user": "b"}},
                {"name": "app/user.updated", "data": {"user": "a"}},
                {"name": "app/order.created", "data": {"user": "c"}},
            ]
        )
        await engine.wait_for_idle(10)
    assert sorted(seen) == ["app/user.created", "app/user.deleted"]


async def test_bulk_cancel_and_sdk_callbacks(sqlite_url: str) -> None:
    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="nap", trigger=inngest.TriggerEvent(event="t/nap"))
        async def nap(ctx: inngest.Context) -> None:
            await ctx.step.run("first", lambda: 1)
            await ctx.step.sleep("zz", timedelta(hours=1))

        return [nap]

    async with running(fns, sqlite_url) as engine:
        await engine.send([{"name": "t/nap", "data": {"i": i}} for i in range(4)])
        await engine.wait_for_idle(10)
        app = engine_app(engine)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://e"
        ) as c:
            run_id = (await c.get("/api/v1/runs")).json()["data"][0]["run_id"]
            batch = (await c.get(f"/v0/runs/{run_id}/batch")).json()
            actions = (await c.get(f"/v0/runs/{run_id}/actions")).json()
            assert batch[0]["name"] == "t/nap" and len(actions) == 1
            res = await c.post(
                "/api/v1/runs/cancel", json={"fn": "test-nap", "since": 0, "until": 4e9}
            )
            assert res.json() == {"cancelled": 4}
            statuses = {r["status"] for r in (await c.get("/api/v1/runs")).json()["data"]}
            assert statuses == {"CANCELLED"}
