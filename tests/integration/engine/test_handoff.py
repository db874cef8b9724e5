"""A worker goes straight on with a run's next step; when the engine stops between
two steps, that next step goes back to the queue at once, so a new engine on the same
database resumes the run without waiting for a lease to expire."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import inngest
import inngest.fast_api
from fastapi import FastAPI

from harvester.engine import Engine, EngineConfig
from harvester.engine.dispatcher import CHAIN_MAX

from .harness import APP_URL, dev_client, route_sdk_in_process, running

STEPS = 4


async def test_a_stopped_engine_hands_the_next_step_to_the_next_engine(
    database_url: str,
) -> None:
    effects: Counter[str] = Counter()
    stopping: list[asyncio.Task[Any]] = []
    engines: list[Engine] = []
    client = dev_client("handoff")

    @client.create_function(fn_id="steps", trigger=inngest.TriggerEvent(event="t/handoff"))
    async def steps(ctx: inngest.Context) -> str:
        for i in range(STEPS):

            def effect(i: int = i) -> int:
                effects[f"s{i}"] += 1
                if i == 0 and not stopping:  # the first engine is told to stop mid-run
                    stopping.append(asyncio.get_running_loop().create_task(engines[0].stop()))
                return i

            await ctx.step.run(f"s{i}", effect)
        return "done"

    app = FastAPI()
    inngest.fast_api.serve(app, client, [steps])

    def engine() -> Engine:
        # A lease far longer than the test's patience: only a hand-off can finish it.
        e = Engine(EngineConfig(database_url=database_url, poll_interval=0.02, lease_seconds=600))
        server = FastAPI()  # where the SDK syncs: this engine's API
        server.include_router(e.router)
        route_sdk_in_process(client, server)
        engines.append(e)
        return e

    first = engine()
    await first.start()
    await first.register_app(APP_URL, transport=httpx.ASGITransport(app=app))
    (event_id,) = await first.send([{"name": "t/handoff", "data": {}}])
    for _ in range(200):
        if stopping:
            break
        await asyncio.sleep(0.02)
    await asyncio.wait_for(stopping[0], 15)
    (summary,) = first.list_runs(fn="handoff-steps").data
    run = first.get_run(summary.run_id)
    assert run is not None and not run.finished
    assert run.steps, "the first engine stopped before the first step was saved"
    first.close()

    second = engine()
    await second.start()
    await second.register_app(APP_URL, transport=httpx.ASGITransport(app=app))
    try:
        done = await second.wait_for_run(run.run_id, timeout=10)
    finally:
        await second.stop()
        second.close()
    assert done.status == "COMPLETED" and done.output == "done"
    assert effects == Counter({f"s{i}": 1 for i in range(STEPS)})  # nothing ran twice
    assert event_id


async def test_a_run_longer_than_one_worker_turn_goes_back_to_the_queue(sqlite_url: str) -> None:
    """After CHAIN_MAX calls in a row a worker requeues the run (so others get a turn);
    the run must then go on at once, not after its lease expires."""
    n = CHAIN_MAX + 8

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="long", trigger=inngest.TriggerEvent(event="t/long"))
        async def long(ctx: inngest.Context) -> int:
            total = 0
            for i in range(n):
                total += await ctx.step.run(f"s{i}", lambda i=i: i)
            return total

        return [long]

    async with running(fns, sqlite_url, lease_seconds=600) as engine:
        await engine.send([{"name": "t/long", "data": {}}])
        await engine.wait_for_idle(timeout=20)
        (summary,) = engine.list_runs().data
        run = engine.get_run(summary.run_id)
    assert run is not None and run.status == "COMPLETED"
    assert run.output == sum(range(n))


async def test_a_higher_priority_run_gets_the_worker_between_two_steps(
    sqlite_url: str,
) -> None:
    """With the only worker busy with a long run, a new high-priority run's first step
    comes before the long run's remaining steps: the worker does not keep a run to
    itself while other work is due (Inngest serves the queue in due order)."""
    order: list[str] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="long", trigger=inngest.TriggerEvent(event="t/long"))
        async def long(ctx: inngest.Context) -> None:
            for i in range(8):

                async def step(i: int = i) -> None:
                    order.append(f"long-{i}")
                    await asyncio.sleep(0.02)

                await ctx.step.run(f"s{i}", step)

        @client.create_function(
            fn_id="urgent",
            trigger=inngest.TriggerEvent(event="t/urgent"),
            priority=inngest.Priority(run="600"),
        )
        async def urgent(ctx: inngest.Context) -> None:
            await ctx.step.run("now", lambda: order.append("urgent"))

        return [long, urgent]

    async with running(fns, sqlite_url, workers=1) as engine:
        await engine.send([{"name": "t/long", "data": {}}])
        for _ in range(200):
            if order:
                break
            await asyncio.sleep(0.01)
        await engine.send([{"name": "t/urgent", "data": {}}])
        await engine.wait_for_idle(timeout=20)
    assert order.index("urgent") < order.index("long-3"), order
    assert [s for s in order if s != "urgent"] == [f"long-{i}" for i in range(8)]


async def test_runs_waking_together_still_respect_their_concurrency_limit(
    sqlite_url: str,
) -> None:
    """A timer's queue item becomes the woken run's next call: that call must still
    wait for a concurrency slot (limit 1 here), never run beside another."""
    active: list[int] = []
    overlaps: list[int] = []
    done: list[str] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="one-at-a-time",
            trigger=inngest.TriggerEvent(event="t/nap"),
            concurrency=[inngest.Concurrency(limit=1)],
        )
        async def nap(ctx: inngest.Context) -> None:
            async def work() -> None:
                active.append(1)
                overlaps.append(len(active))
                await asyncio.sleep(0.05)
                active.pop()
                done.append(ctx.run_id)

            await ctx.step.sleep_until("nap", datetime.fromtimestamp(ctx.event.data["at"], UTC))
            await ctx.step.run("after", work)

        return [nap]

    async with running(fns, sqlite_url, workers=8) as engine:
        at = time.time() + 1.0
        await engine.send([{"name": "t/nap", "data": {"at": at}} for _ in range(4)])
        await engine.wait_for_idle(timeout=20)
    assert len(done) == 4
    assert max(overlaps) == 1, overlaps


async def test_a_failing_queue_read_does_not_strand_the_calls_a_worker_holds(
    sqlite_url: str,
) -> None:
    """The dispatcher's queue read fails every other time (a database hiccup): the next
    calls it holds for runs waiting their turn must survive it, not sit out a lease."""
    n_runs, n_steps = 3, 4

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="turns", trigger=inngest.TriggerEvent(event="t/turns"))
        async def turns(ctx: inngest.Context) -> int:
            for i in range(n_steps):
                await ctx.step.run(f"s{i}", lambda i=i: i)
            return n_steps

        return [turns]

    async with running(fns, sqlite_url, workers=1, lease_seconds=600) as engine:
        real = engine._db.candidates  # a fault injected into the system database
        calls = 0

        def flaky(now: float, limit: int = 64, **kw: Any) -> list[Any]:
            nonlocal calls
            calls += 1
            if calls % 2 == 0:
                raise RuntimeError("simulated database hiccup")
            return real(now, limit, **kw)

        engine._db.candidates = flaky  # type: ignore[method-assign]
        await engine.send([{"name": "t/turns", "data": {}} for _ in range(n_runs)])
        await engine.wait_for_idle(timeout=20)
        statuses = [r.status for r in engine.list_runs().data]
    assert statuses == ["COMPLETED"] * n_runs
