"""Two engine processes' worth of dispatchers on one Postgres share the queue through
leases (FOR UPDATE SKIP LOCKED): all work done, no step executed twice."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import inngest
import inngest.fast_api
from fastapi import FastAPI

from harvester.engine import Engine, EngineConfig

from .harness import APP_URL, dev_client, route_sdk_in_process

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
        original = engine._worker.call

        async def counted(item: Any, run: Any, n: int = n, original: Any = original) -> Any:
            calls[n] += 1
            return await original(item, run)

        engine._worker.call = counted  # type: ignore[method-assign]
        await engine.start()
        await engine.register_app(APP_URL, transport=httpx.ASGITransport(app=app))
    try:
        await engines[0].send([{"name": "t/two", "data": {}} for _ in range(RUNS)])
        for engine in engines:
            await engine.wait_for_idle(timeout=60)
    finally:
        for engine in engines:
            await engine.stop()
            engine.close()
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
