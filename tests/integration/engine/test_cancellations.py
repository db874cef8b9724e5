"""Bulk cancellation is durable: a job a restart cut short is finished when the
engine starts again (issue 30, 8)."""

from __future__ import annotations

import asyncio
from typing import Any

import inngest

from harvester.engine import Engine, EngineConfig, RunStatus, cancellations
from harvester.engine.flow_state import CancellationJobs
from harvester.engine.sysdb import SystemDatabase

from .harness import running


def _waiter(client: inngest.Inngest) -> list[Any]:
    @client.create_function(fn_id="waits", trigger=inngest.TriggerEvent(event="c/wait"))
    async def waits(ctx: inngest.Context) -> None:
        await ctx.step.wait_for_event("never", event="c/never", timeout=3_600_000)

    return [waits]


async def test_a_cut_short_cancellation_is_finished_at_start(sqlite_url: str) -> None:
    async with running(_waiter, sqlite_url) as engine:
        ids = await engine.send([{"name": "c/wait", "data": {"n": n}} for n in (1, 2)])
        for _ in range(500):
            runs = [engine.event_runs(i) for i in ids]
            if all(r and r[0].status == RunStatus.RUNNING for r in runs):
                break
            await asyncio.sleep(0.02)
        run_ids = [engine.event_runs(i)[0].run_id for i in ids]
        job = cancellations.validate(
            {"app_id": "test", "function_id": "waits", "started_before": "2090-01-01T00:00:00Z"},
            {"test-waits": object()},
            now=4_000_000_000.0,  # in 2096: 2090 is "in the past", whatever today is
        )
    db = SystemDatabase(sqlite_url)  # as if the process died before the first batch
    with db.tx() as conn:
        CancellationJobs(db).save(conn, job)
    db.dispose()
    again = Engine(EngineConfig(database_url=sqlite_url, fire_crons=False))
    await again.start()
    try:
        (kept,) = again.cancellations()
        assert kept["done"] and kept["cancelled"] == 2
        finished = [again.get_run(r) for r in run_ids]
        assert [r.status if r else None for r in finished] == [RunStatus.CANCELLED] * 2
    finally:
        await again.stop()
        again.close()
