"""cleanup: a daily cron that deletes stale rows by the retention policy, in bounded
batches (one step per batch, so a crash resumes where it stopped), and never touches a
domain that is still mentioned."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

import inngest

from harvester.jobs.deps import JobDeps
from harvester.jobs.steps import RunScope
from harvester.store.retention import PRUNED, Kept, delete_stale
from harvester.store.states import JobState

FN_ID = "cleanup"
MAX_BATCHES_PER_TABLE = 200


def _cutoff_per_table(deps: JobDeps, now: datetime) -> dict[str, datetime]:
    s = deps.settings
    days = {
        Kept.COMMENTS: s.retention_comments_days,
        Kept.ALERTS: s.retention_alerts_days,
        Kept.RUNS: s.retention_runs_days,
    }
    return {table: now - timedelta(days=days[kept]) for table, kept in PRUNED.items()}


async def delete_batch(deps: JobDeps, table: str, cutoff_iso: str) -> int:
    with deps.db.session() as s:
        return delete_stale(
            s, table, datetime.fromisoformat(cutoff_iso), deps.settings.cleanup_batch_size
        )


def build(client: inngest.Inngest, deps: JobDeps) -> inngest.Function[Any]:
    @client.create_function(
        fn_id=FN_ID,
        name="Clean up stale data",
        retries=2,
        concurrency=[inngest.Concurrency(limit=1)],
        trigger=[
            inngest.TriggerCron(cron="17 3 * * *"),
            inngest.TriggerEvent(event="system.cleanup.requested"),
        ],
    )
    async def cleanup(ctx: inngest.Context) -> dict[str, int]:
        run = RunScope(deps, ctx, FN_ID)
        cutoffs: dict[str, str] = await run.step(
            "cutoffs",
            lambda: _cutoffs(deps),
        )
        deleted: dict[str, int] = {}
        for table, cutoff in cutoffs.items():
            deleted[table] = 0
            for n in range(MAX_BATCHES_PER_TABLE):
                gone = await run.step(
                    f"delete-{table}-{n}",
                    functools.partial(delete_batch, deps, table, cutoff),
                )
                deleted[table] += gone
                if gone < deps.settings.cleanup_batch_size:
                    break
        run.track("done", JobState.COMPLETED, dict(deleted))
        return deleted

    return cleanup


async def _cutoffs(deps: JobDeps) -> dict[str, str]:
    return {t: c.isoformat() for t, c in _cutoff_per_table(deps, deps.clock()).items()}
