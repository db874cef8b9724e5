"""A call that runs longer than its lease still runs once: the process that holds it
renews the lease while the call is in flight, so neither it nor another engine on the
same database takes the item again. A call that failed stops being renewed, so it is
still retried after its lease (the group-commit tests rely on that)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import inngest

from harvester.engine import RunStatus

from .harness import run_of, running

LEASE_S = 0.5
STEP_S = 4 * LEASE_S  # the call outlives its lease four times over


async def test_a_step_longer_than_its_lease_runs_once(database_url: str) -> None:
    effects: Counter[str] = Counter()

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="slow", trigger=inngest.TriggerEvent(event="l/slow"))
        async def slow(ctx: inngest.Context) -> int:
            async def work() -> int:
                effects["work"] += 1
                await asyncio.sleep(STEP_S)
                return 7

            return await ctx.step.run("work", work)

        return [slow]

    async with running(fns, database_url, workers=4, lease_seconds=LEASE_S) as engine:
        (event_id,) = await engine.send([{"name": "l/slow", "data": {}}])
        run = await run_of(engine, event_id, timeout=30)
    assert run.status is RunStatus.COMPLETED and run.output == 7
    assert effects["work"] == 1, effects
