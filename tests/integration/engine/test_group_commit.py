"""Group commit: the outcomes of calls that end together commit in one transaction,
timers due together fire in one, and neither weakens what a user relies on: each step
runs once, its result is stored before the run's next step starts, a slow call holds
back nobody's commit, and one outcome that cannot be applied fails only its own call."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import inngest
import inngest.fast_api
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from harvester.engine import Engine, EngineConfig, RunStatus

from .harness import APP_URL, dev_client, route_sdk_in_process, run_of, running

RUNS, STEPS = 30, 4


def _count_commits(engine: Engine) -> Counter[str]:
    commits: Counter[str] = Counter()
    event.listen(engine._db.sql, "commit", lambda _conn: commits.update(["commit"]))
    return commits


def _group_sizes(engine: Engine) -> list[int]:
    """How many outcomes each of the item runner's commits applied."""
    sizes: list[int] = []
    runner = engine._runner
    flush = runner._flush

    def spied() -> None:
        sizes.append(len(runner._pending))
        flush()

    runner._flush = spied  # type: ignore[method-assign]
    return sizes


async def test_ready_runs_commit_together_and_each_step_is_stored_before_the_next(
    database_url: str,
) -> None:
    effects: Counter[str] = Counter()
    unstored: list[str] = []
    engine_box: list[Engine] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="work", trigger=inngest.TriggerEvent(event="g/work"))
        async def work(ctx: inngest.Context) -> None:
            for i in range(STEPS):

                def effect(i: int = i) -> int:
                    effects[f"{ctx.run_id}:{i}"] += 1
                    if i:  # the previous step's result must be in the database already
                        run = engine_box[0].get_run(ctx.run_id)
                        names = {s.name for s in run.steps} if run else set()
                        if f"s{i - 1}" not in names:
                            unstored.append(f"{ctx.run_id}:s{i - 1}")
                    return i

                await ctx.step.run(f"s{i}", effect)

        return [work]

    async with running(fns, database_url, workers=16) as engine:
        engine_box.append(engine)
        sizes = _group_sizes(engine)
        commits = _count_commits(engine)
        ids = await engine.send([{"name": "g/work", "data": {}} for _ in range(RUNS)])
        runs = [await run_of(engine, i, timeout=60) for i in ids]
    assert {r.status for r in runs} == {RunStatus.COMPLETED}
    assert len(effects) == RUNS * STEPS and set(effects.values()) == {1}  # each step once
    assert unstored == []
    calls = RUNS * (STEPS + 1)
    assert sum(sizes) == calls
    assert max(sizes) > 1, sizes  # several runs' outcomes in one transaction
    assert commits["commit"] < calls, (commits, calls)


async def test_a_slow_call_holds_back_no_other_runs_commit(database_url: str) -> None:
    """Run A's step ends only once run B has finished its three steps: a group commit
    that waited for every call of its group before committing would never end."""
    b_done = asyncio.Event()

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="slow", trigger=inngest.TriggerEvent(event="g/slow"))
        async def slow(ctx: inngest.Context) -> str:
            async def wait_for_b() -> str:
                await asyncio.wait_for(b_done.wait(), 20)
                return "after b"

            return await ctx.step.run("wait", wait_for_b)

        @client.create_function(fn_id="quick", trigger=inngest.TriggerEvent(event="g/quick"))
        async def quick(ctx: inngest.Context) -> int:
            total = 0
            for i in range(3):
                total += await ctx.step.run(f"q{i}", lambda i=i: i)
            b_done.set()
            return total

        return [slow, quick]

    async with running(fns, database_url, workers=4) as engine:
        a, b = await engine.send([{"name": "g/slow"}, {"name": "g/quick"}])
        run_b = await run_of(engine, b)
        run_a = await run_of(engine, a)
    assert run_b.status == RunStatus.COMPLETED and run_b.output == 3
    assert run_a.status == RunStatus.COMPLETED and run_a.output == "after b"


async def test_an_outcome_that_cannot_be_applied_fails_only_its_own_call(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 10
    arrived: list[int] = []
    all_here = asyncio.Event()
    effects: Counter[str] = Counter()

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="pair", trigger=inngest.TriggerEvent(event="g/pair"))
        async def pair(ctx: inngest.Context) -> int:
            async def first() -> int:
                # Every run's first step ends in the same turn of the loop: one group.
                arrived.append(ctx.event.data["k"])
                if len(arrived) >= n:
                    all_here.set()
                await asyncio.wait_for(all_here.wait(), 20)
                effects[f"{ctx.event.data['k']}:first"] += 1
                return int(ctx.event.data["k"])

            k = await ctx.step.run("first", first)
            return await ctx.step.run("second", lambda: k * 10)

        return [pair]

    async with running(fns, database_url, workers=16, lease_seconds=1.0) as engine:
        sizes = _group_sizes(engine)
        handler = engine._runner.outcomes
        apply = handler.apply
        broken = {"left": 2}  # in its group, then alone: the call fails

        def apply_or_break(uow: Any, run: Any, fn: Any, out: Any, t0: float, now: float) -> None:
            if run.events[0]["data"]["k"] == 3 and broken["left"]:
                broken["left"] -= 1
                raise RuntimeError("this outcome cannot be applied")
            apply(uow, run, fn, out, t0, now)

        monkeypatch.setattr(handler, "apply", apply_or_break)
        ids = await engine.send([{"name": "g/pair", "data": {"k": k}} for k in range(n)])
        started = time.monotonic()
        runs = [await run_of(engine, i, timeout=30) for i in ids]
        waited = time.monotonic() - started
    assert broken["left"] == 0
    assert [r.output for r in runs] == [k * 10 for k in range(n)]
    assert max(sizes) >= n // 2, sizes  # the broken outcome was in a group with others
    # The others' first steps were applied despite the failure beside them: run once.
    assert all(effects[f"{k}:first"] == 1 for k in range(n) if k != 3), effects
    # The broken one was retried after its lease (1 s), not lost.
    assert effects["3:first"] == 2 and waited >= 0.9


async def test_sleeps_ending_together_fire_in_one_transaction_and_wake_every_run(
    database_url: str,
) -> None:
    n = 60
    woke: Counter[str] = Counter()
    fired: list[int] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="nap", trigger=inngest.TriggerEvent(event="g/nap"))
        async def nap(ctx: inngest.Context) -> None:
            await ctx.step.sleep_until("nap", datetime.fromtimestamp(ctx.event.data["at"], UTC))
            await ctx.step.run("woke", lambda: woke.update([ctx.run_id]))

        return [nap]

    async with running(fns, database_url, workers=8) as engine:
        runner = engine._runner
        fire = runner.fire_timers

        def spied(items: list[Any], *args: Any) -> Any:
            fired.append(len(items))
            return fire(items, *args)

        runner.fire_timers = spied  # type: ignore[method-assign]
        at = time.time() + 1.5
        ids = await engine.send([{"name": "g/nap", "data": {"at": at}} for _ in range(n)])
        runs = [await run_of(engine, i, timeout=30) for i in ids]
    assert {r.status for r in runs} == {RunStatus.COMPLETED}
    assert len(woke) == n and set(woke.values()) == {1}
    assert sum(fired) == n and max(fired) > n // 2, fired  # not one transaction each


async def test_two_engines_share_a_burst_of_woken_runs_and_wake_each_once(
    database_url: str,
) -> None:
    """The calls a burst of timers wakes go to the shared queue: with two engines on
    one database every run wakes once, whichever engine fired its timer."""
    n = 40
    woke: Counter[str] = Counter()
    client = dev_client("burst")

    @client.create_function(fn_id="nap", trigger=inngest.TriggerEvent(event="g/burst"))
    async def nap(ctx: inngest.Context) -> None:
        await ctx.step.sleep_until("nap", datetime.fromtimestamp(ctx.event.data["at"], UTC))
        await ctx.step.run("woke", lambda: woke.update([ctx.run_id]))

    engines = [
        Engine(EngineConfig(database_url=database_url, poll_interval=0.02, workers=4))
        for _ in range(2)
    ]
    app = FastAPI()
    app.include_router(engines[0].router)
    inngest.fast_api.serve(app, client, [nap])
    route_sdk_in_process(client, app)
    try:
        for engine in engines:
            await engine.start()
            await engine.register_app(APP_URL, transport=httpx.ASGITransport(app=app))
        at = time.time() + 1.0
        ids = await engines[0].send([{"name": "g/burst", "data": {"at": at}} for _ in range(n)])
        runs = [await run_of(engines[1], i, timeout=30) for i in ids]
    finally:
        for engine in engines:
            await engine.stop()
            engine.close()
    assert {r.status for r in runs} == {RunStatus.COMPLETED}
    assert len(woke) == n and set(woke.values()) == {1}, woke


async def test_woken_runs_at_their_concurrency_limit_do_not_hold_up_others(
    sqlite_url: str,
) -> None:
    """A burst of woken runs of a function with concurrency 1 fills the head of the
    shared queue; another function's run waking just after them must not wait for the
    burst to drain (the dispatcher looks at the due items a window at a time)."""
    n, step_s = 100, 0.04
    free_woke: list[float] = []
    limited_done: list[float] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="limited",
            trigger=inngest.TriggerEvent(event="g/limited"),
            concurrency=[inngest.Concurrency(limit=1)],
        )
        async def limited(ctx: inngest.Context) -> None:
            async def work() -> None:
                await asyncio.sleep(step_s)
                limited_done.append(time.time())

            await ctx.step.sleep_until("nap", datetime.fromtimestamp(ctx.event.data["at"], UTC))
            await ctx.step.run("work", work)

        @client.create_function(fn_id="free", trigger=inngest.TriggerEvent(event="g/free"))
        async def free(ctx: inngest.Context) -> None:
            await ctx.step.sleep_until("nap", datetime.fromtimestamp(ctx.event.data["at"], UTC))
            await ctx.step.run("woke", lambda: free_woke.append(time.time()))

        return [limited, free]

    async with running(fns, sqlite_url, workers=8) as engine:
        at = time.time() + 1.5
        await engine.send([{"name": "g/limited", "data": {"at": at}} for _ in range(n)])
        [free_event] = await engine.send([{"name": "g/free", "data": {"at": at + 0.05}}])
        await run_of(engine, free_event, timeout=30)
        limit = time.monotonic() + 30
        while len(limited_done) < n and time.monotonic() < limit:
            await asyncio.sleep(0.05)
    assert len(limited_done) == n
    assert free_woke[0] - (at + 0.05) < 0.5, free_woke[0] - at  # the burst takes ≥ 4 s
    assert limited_done[-1] - at >= n * step_s * 0.9  # one at a time
