"""Timers fire at their due time, not at the dispatcher's next poll."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import inngest

from .harness import running

POLL_S = 30.0  # far longer than the test may take: only a due-time wake-up passes


async def test_a_sleep_wakes_on_time_with_a_slow_poll(database_url: str) -> None:
    woke: list[float] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="nap", trigger=inngest.TriggerEvent(event="t/nap"))
        async def nap(ctx: inngest.Context) -> None:
            until = datetime.fromtimestamp(ctx.event.data["until"], UTC)
            await ctx.step.sleep_until("nap", until)
            await ctx.step.run("woke", lambda: woke.append(time.time()))

        return [nap]

    async with running(fns, database_url, poll_interval=POLL_S) as engine:
        deadline = time.time() + 1.0
        await engine.send([{"name": "t/nap", "data": {"until": deadline}}])
        limit = time.monotonic() + POLL_S / 2
        while not woke and time.monotonic() < limit:
            await asyncio.sleep(0.02)
    assert woke, "the sleep did not end before the next poll"
    assert deadline <= woke[0] < deadline + 2.0
