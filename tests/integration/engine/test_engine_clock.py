"""The engine reads time through its clock (``EngineConfig.clock``): with a fake clock
a wait's timeout and a sleep fall due when the clock is moved, not when real time
passes (an hour-long wait ends in the test's seconds, and only then)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import inngest

from harvester.engine import Engine, QueueKind, RunStatus

from .harness import run_of, running

START = 4_000_000_000.0  # in 2096: no date the machine may have is near it
HOUR = 3600.0


class FakeClock:
    """Unix seconds that move only when the test moves them."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def _until_item(engine: Engine, kind: QueueKind, timeout: float = 20.0) -> float:
    """The due time of the run's queued ``kind`` item, once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        due = [q.due_at for q in engine.list_queue(kind)]
        if due:
            return due[0]
        await asyncio.sleep(0.02)
    raise AssertionError(f"no {kind} item within {timeout}s: {engine.list_queue()}")


async def test_a_wait_timeout_and_a_sleep_fire_when_the_fake_clock_is_moved(
    database_url: str,
) -> None:
    clock = FakeClock(START)

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="patient", trigger=inngest.TriggerEvent(event="t/patient"), retries=0
        )
        async def patient(ctx: inngest.Context) -> bool:
            got = await ctx.step.wait_for_event(
                "answer", event="t/never", timeout=timedelta(hours=1)
            )
            await ctx.step.sleep_until("nap", datetime.fromtimestamp(START + 2 * HOUR, UTC))
            return got is None

        return [patient]

    async with running(fns, database_url, clock=clock, fire_crons=False) as engine:
        [event_id] = await engine.send([{"name": "t/patient"}])
        expires = await _until_item(engine, QueueKind.WAIT_TIMEOUT)
        assert START + HOUR <= expires < START + HOUR + 1  # an hour of the engine's clock
        [summary] = engine.event_runs(event_id)
        assert summary.status is RunStatus.RUNNING

        clock.now = expires + 0.5  # the hour has passed, for the engine
        wake = await _until_item(engine, QueueKind.WAKE)  # timed out: on to the sleep
        assert wake == START + 2 * HOUR
        assert not engine.list_queue(QueueKind.WAIT_TIMEOUT)

        clock.now = wake + 0.5
        run = await run_of(engine, event_id, timeout=20)
    assert run.status is RunStatus.COMPLETED and run.output is True
    assert run.ended_at is not None and run.ended_at >= wake  # recorded in engine time
