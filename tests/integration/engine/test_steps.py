"""Durable execution of unchanged SDK functions on the embedded engine."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import inngest
import pytest

from harvester.engine import RunStatus

from .harness import run_of, running


async def test_steps_are_memoized_across_retries(database_url: str) -> None:
    calls: dict[str, int] = {"a": 0, "b": 0}

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="memo", retries=3, trigger=inngest.TriggerEvent(event="t/memo")
        )
        async def memo(ctx: inngest.Context) -> dict[str, int]:
            async def a() -> int:
                calls["a"] += 1
                return 1

            async def b() -> int:
                calls["b"] += 1
                if calls["b"] < 3:
                    raise RuntimeError("flaky")
                return 2

            x = await ctx.step.run("a", a)
            y = await ctx.step.run("b", b)
            return {"sum": x + y}

        return [memo]

    async with running(fns, database_url) as engine:
        (eid,) = await engine.send([{"name": "t/memo", "data": {}}])
        run = await run_of(engine, eid)
    assert run.status == RunStatus.COMPLETED
    assert run.output == {"sum": 3}
    assert calls == {"a": 1, "b": 3}


async def test_non_retriable_error_fails_at_once_and_emits_failure(sqlite_url: str) -> None:
    seen: list[dict[str, Any]] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        async def on_failure(ctx: inngest.Context) -> None:
            seen.append(dict(ctx.event.data))

        @client.create_function(
            fn_id="boom",
            retries=5,
            on_failure=on_failure,
            trigger=inngest.TriggerEvent(event="t/boom"),
        )
        async def boom(ctx: inngest.Context) -> None:
            raise inngest.NonRetriableError("no way")

        return [boom]

    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "t/boom", "data": {"x": 1}}])
        run = await run_of(engine, eid)
        await engine.wait_for_idle(timeout=10)
    assert run.status == RunStatus.FAILED and run.attempt == 0
    assert run.error["message"] == "no way"
    assert seen and seen[0]["run_id"] == run.run_id and seen[0]["event"]["data"] == {"x": 1}


async def test_sleep_wait_and_send_event(sqlite_url: str) -> None:
    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="waiter", trigger=inngest.TriggerEvent(event="t/start"))
        async def waiter(ctx: inngest.Context) -> Any:
            await ctx.step.sleep("nap", timedelta(seconds=1))
            await ctx.step.send_event(
                "ping", inngest.Event(name="t/ping", data={"k": ctx.event.data["k"]})
            )
            got = await ctx.step.wait_for_event(
                "pong",
                event="t/pong",
                timeout=timedelta(seconds=5),
                if_exp="async.data.k == event.data.k",
            )
            missed = await ctx.step.wait_for_event(
                "never", event="t/never", timeout=timedelta(seconds=1)
            )
            return {"got": got.data["k"] if got else None, "missed": missed}

        @client.create_function(fn_id="ponger", trigger=inngest.TriggerEvent(event="t/ping"))
        async def ponger(ctx: inngest.Context) -> None:
            # Give the waiter time to start waiting: a wait sees only later events.
            await ctx.step.sleep("let-it-wait", timedelta(seconds=1))
            await ctx.step.send_event(
                "pong", inngest.Event(name="t/pong", data={"k": ctx.event.data["k"]})
            )

        return [waiter, ponger]

    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "t/start", "data": {"k": 7}}])
        run = await run_of(engine, eid)
    assert run.status == RunStatus.COMPLETED, run.error
    assert run.output == {"got": 7, "missed": None}


async def test_invoke_and_parallel_steps(sqlite_url: str) -> None:
    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="child", trigger=inngest.TriggerEvent(event="t/child"))
        async def child(ctx: inngest.Context) -> int:
            return int(ctx.event.data["n"]) * 2

        @client.create_function(fn_id="parent", trigger=inngest.TriggerEvent(event="t/parent"))
        async def parent(ctx: inngest.Context) -> Any:
            doubled = await ctx.step.invoke("call-child", function=child, data={"n": 21})

            async def one() -> int:
                return 1

            async def two() -> int:
                return 2

            both = await ctx.group.parallel(
                (lambda: ctx.step.run("one", one), lambda: ctx.step.run("two", two))
            )
            return {"doubled": doubled, "both": list(both)}

        return [child, parent]

    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "t/parent", "data": {}}])
        run = await run_of(engine, eid)
    assert run.status == RunStatus.COMPLETED, run.error
    assert run.output == {"doubled": 42, "both": [1, 2]}


@pytest.mark.parametrize("limit", [2])
async def test_concurrency_limit_is_never_exceeded(database_url: str, limit: int) -> None:
    state = {"now": 0, "max": 0}

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="busy",
            concurrency=[inngest.Concurrency(limit=limit)],
            trigger=inngest.TriggerEvent(event="t/busy"),
        )
        async def busy(ctx: inngest.Context) -> None:
            async def work() -> None:
                state["now"] += 1
                state["max"] = max(state["max"], state["now"])
                await asyncio.sleep(0.03)
                state["now"] -= 1

            await ctx.step.run("work", work)

        return [busy]

    async with running(fns, database_url) as engine:
        await engine.send([{"name": "t/busy", "data": {}} for _ in range(10)])
        await engine.wait_for_idle(timeout=20)
    assert state["max"] == limit


async def test_event_id_is_an_idempotency_key(sqlite_url: str) -> None:
    count = {"n": 0}

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="once", trigger=inngest.TriggerEvent(event="t/once"))
        async def once(ctx: inngest.Context) -> None:
            count["n"] += 1

        return [once]

    async with running(fns, sqlite_url) as engine:
        a = await engine.send([{"name": "t/once", "id": "same", "data": {}}])
        b = await engine.send([{"name": "t/once", "id": "same", "data": {}}])
        await engine.wait_for_idle(timeout=10)
    assert a == b and count["n"] == 1


async def test_signed_requests_outside_dev_mode(sqlite_url: str) -> None:
    """With a signing key and no dev mode, calls are signed, responses verified, and
    the SDK (in cloud mode) accepts them; a wrong key on the engine side fails runs."""
    key = "signkey-test-" + "ab" * 32
    ran = {"n": 0}

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="signed", retries=0, trigger=inngest.TriggerEvent(event="t/signed")
        )
        async def signed(ctx: inngest.Context) -> str:
            ran["n"] += 1
            return "ok"

        return [signed]

    async with running(
        fns, sqlite_url, dev=False, signing_key=key, event_key="ek", sdk_signing_key=key
    ) as engine:
        (eid,) = await engine.send([{"name": "t/signed", "data": {}}])
        run = await run_of(engine, eid)
        assert run.status == RunStatus.COMPLETED and run.output == "ok"
        engine.cfg.signing_key = "signkey-test-" + "cd" * 32  # now the SDK refuses us
        (eid2,) = await engine.send([{"name": "t/signed", "data": {}}])
        bad = await run_of(engine, eid2)
    assert bad.status == RunStatus.FAILED and ran["n"] == 1


async def test_invoking_a_function_that_does_not_exist_fails_the_step(sqlite_url: str) -> None:
    """The invoke step gets an error the function can catch, once (no retry loop)."""
    calls: list[int] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="caller", trigger=inngest.TriggerEvent(event="t/nope"))
        async def caller(ctx: inngest.Context) -> str:
            calls.append(1)
            try:
                await ctx.step.invoke_by_id("call", function_id="no-such-function")
            except inngest.StepError as err:
                return f"caught: {err.message}"
            return "no error"

        return [caller]

    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "t/nope", "data": {}}])
        run = await run_of(engine, eid)
    assert run.status == RunStatus.COMPLETED, run.error
    assert "not found" in run.output
    assert len(calls) <= 3, f"{len(calls)} calls: the engine kept re-invoking"
