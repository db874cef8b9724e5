"""Two engine processes' worth of dispatchers on one Postgres share the queue through
leases (FOR UPDATE SKIP LOCKED): all work done, no step executed twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import inngest
import inngest.fast_api
from fastapi import FastAPI

from harvester.engine import Engine, EngineConfig

from .harness import APP_URL, dev_client, finish_all, route_sdk_in_process

RUNS, STEPS = 40, 5


async def test_two_engines_share_work_without_double_execution(postgres_url: str) -> None:
    effects: Counter[str] = Counter()
    client = dev_client("two")

    @client.create_function(fn_id="work", trigger=inngest.TriggerEvent(event="t/two"))
    async def work(ctx: inngest.Context) -> None:
        for i in range(STEPS):

            def effect(i: int = i) -> int:
                effects[f"{ctx.run_id}:{i}"] += 1
                return i

            await ctx.step.run(f"s{i}", effect)

    engines = [
        Engine(EngineConfig(database_url=postgres_url, poll_interval=0.02, workers=4))
        for _ in range(2)
    ]
    calls = Counter[int]()
    app = FastAPI()
    app.include_router(engines[0].router)
    inngest.fast_api.serve(app, client, [work])
    route_sdk_in_process(client, app)
    for n, engine in enumerate(engines):
        original = engine._runner.call

        async def counted(item: Any, run: Any, n: int = n, original: Any = original) -> Any:
            calls[n] += 1
            return await original(item, run)

        engine._runner.call = counted  # type: ignore[method-assign]
        await engine.start()
        await engine.register_app(APP_URL, transport=httpx.ASGITransport(app=app))
    try:
        await engines[0].send([{"name": "t/two", "data": {}} for _ in range(RUNS)])
    finally:
        await finish_all(engines)
    assert len(effects) == RUNS * STEPS
    assert set(effects.values()) == {1}
    assert calls[0] > 0 and calls[1] > 0, calls  # both took a share


async def test_each_engine_calls_its_own_copy_of_the_app(sqlite_url: str) -> None:
    """Two engines on one database, each serving its own copy of the same app under
    its own URL: the last sync's URL is the one stored, yet each engine keeps calling
    its in-process copy (before the fix, an engine that had re-read the registry sent
    every call over HTTP to the other process's URL)."""
    served: Counter[str] = Counter()
    engines, urls = [], ["http://proc-a:8288/api/inngest", "http://proc-b:8288/api/inngest"]
    for url in urls:
        client = dev_client("copies")

        @client.create_function(fn_id="work", trigger=inngest.TriggerEvent(event="t/copies"))
        async def work(ctx: inngest.Context, url: str = url) -> None:
            served[url] += 1

        engine = Engine(EngineConfig(database_url=sqlite_url, poll_interval=0.02))
        app = FastAPI()
        app.include_router(engine.router)
        inngest.fast_api.serve(app, client, [work])
        route_sdk_in_process(client, app)
        await engine.start()
        await engine.register_app(url, transport=httpx.ASGITransport(app=app))
        engines.append(engine)
    try:
        for engine in engines:
            # Both see the second URL as synced ...
            assert {f.url.split("?")[0] for f in engine.list_functions()} == {urls[1]}
        for engine in engines:
            await engine.send([{"name": "t/copies", "data": {}} for _ in range(3)])
            await engine.wait_for_idle(timeout=30)
    finally:
        for engine in engines:
            await engine.stop()
            engine.close()
    assert served == {urls[0]: 3, urls[1]: 3}, served


async def test_a_concurrency_limit_holds_across_the_processes_of_one_engine(
    database_url: str,
) -> None:
    """Concurrency slots are counted in a process's memory: the extra processes of one
    `harvester up` (``limited_calls=False``) leave limited calls to the main one, so a
    limit of 1 holds with two processes on one database, while calls of functions
    without a limit go to both."""
    active: list[int] = []
    overlaps: list[int] = []
    free_by: Counter[int] = Counter()
    engines = [
        Engine(EngineConfig(database_url=database_url, poll_interval=0.02, workers=4)),
        Engine(
            EngineConfig(
                database_url=database_url, poll_interval=0.02, workers=4, limited_calls=False
            )
        ),
    ]
    for n, engine in enumerate(engines):
        client = dev_client("limits")

        @client.create_function(
            fn_id="one",
            trigger=inngest.TriggerEvent(event="t/one"),
            concurrency=[inngest.Concurrency(limit=1)],
        )
        async def one(ctx: inngest.Context) -> None:
            async def work() -> None:
                active.append(1)
                overlaps.append(len(active))
                await asyncio.sleep(0.03)
                active.pop()

            await ctx.step.run("work", work)

        @client.create_function(fn_id="free", trigger=inngest.TriggerEvent(event="t/free"))
        async def free(ctx: inngest.Context, n: int = n) -> None:
            for i in range(3):
                await ctx.step.run(f"s{i}", lambda n=n: free_by.update([n]))

        app = FastAPI()
        app.include_router(engine.router)
        inngest.fast_api.serve(app, client, [one, free])
        route_sdk_in_process(client, app)
        await engine.start()
        await engine.register_app(
            f"http://proc-{n}:8288/api/inngest", transport=httpx.ASGITransport(app=app)
        )
    try:
        # Sent through the second process: its runs still start on the first.
        await engines[1].send([{"name": "t/one", "data": {}} for _ in range(12)])
        await engines[1].send([{"name": "t/free", "data": {}} for _ in range(30)])
    finally:
        await finish_all(engines)
    assert len(overlaps) == 12 and max(overlaps) == 1, overlaps
    assert sum(free_by.values()) == 90 and free_by[1] > 0, free_by


async def test_an_engine_with_nothing_to_take_gets_a_share_of_the_runs_another_holds(
    database_url: str,
) -> None:
    """A run's next call stays with the engine that made its last one. The first engine
    starts every run before the second comes up, so nothing is left in the shared
    queue: the second asks for work, and the first hands it about half of its runs'
    next calls (before, the second made no call at all and the first ran every step)."""
    runs, steps = 24, 6
    effects: Counter[str] = Counter()
    client = dev_client("share")

    @client.create_function(fn_id="slow", trigger=inngest.TriggerEvent(event="t/share"))
    async def slow(ctx: inngest.Context) -> None:
        for i in range(steps):

            async def effect(i: int = i) -> int:
                effects[f"{ctx.run_id}:{i}"] += 1
                await asyncio.sleep(0.02)
                return i

            await ctx.step.run(f"s{i}", effect)

    app = FastAPI()
    inngest.fast_api.serve(app, client, [slow])
    engines: list[Engine] = []
    calls = Counter[int]()

    async def start_engine() -> Engine:
        engine = Engine(EngineConfig(database_url=database_url, poll_interval=0.02, workers=2))
        n, original = len(engines), engine._runner.call

        async def counted(item: Any, run: Any) -> Any:
            calls[n] += 1
            return await original(item, run)

        engine._runner.call = counted  # type: ignore[method-assign]
        server = FastAPI()
        server.include_router(engine.router)
        route_sdk_in_process(client, server)
        engines.append(engine)
        await engine.start()
        await engine.register_app(APP_URL, transport=httpx.ASGITransport(app=app))
        return engine

    first = await start_engine()
    try:
        await first.send([{"name": "t/share", "data": {}} for _ in range(runs)])
        for _ in range(1500):  # until the first engine has started every run
            if not first.list_runs(status="QUEUED").data and len(effects) >= runs:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the first engine did not start every run")
        await start_engine()
    finally:
        await finish_all(engines)
    assert len(effects) == runs * steps and set(effects.values()) == {1}
    assert calls[1] >= runs * steps // 5, calls  # a real share, not a straggler
