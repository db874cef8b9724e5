"""cleanup: a daily cron that deletes stale rows by the retention policy, in bounded
batches (one step per batch, so a crash resumes where it stopped), and never touches a
domain that is still mentioned."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

import inngest
import sqlalchemy as sa

from harvester.jobs.deps import JobDeps
from harvester.jobs.steps import track, tracked_step
from harvester.store.models import (
    Alert,
    Comment,
    Domain,
    DomainMention,
    HealthCheck,
    JobState,
    WorkerResultRow,
)
from harvester.store.models import JobStatus as JobStatusRow
from harvester.store.writes import delete_older_than

FN_ID = "cleanup"
MAX_BATCHES_PER_TABLE = 200


def _targets(deps: JobDeps, now: datetime) -> dict[str, tuple[Any, Any, datetime, Any]]:
    s = deps.settings
    unmentioned = ~sa.exists().where(DomainMention.domain_id == Domain.id)
    return {
        # Comments cascade to their mentions; domains go only once no mention is left.
        "comment": (
            Comment,
            Comment.harvested_at,
            now - timedelta(days=s.retention_comments_days),
            None,
        ),
        "domain": (
            Domain,
            Domain.last_seen_at,
            now - timedelta(days=s.retention_comments_days),
            unmentioned,
        ),
        "alert": (Alert, Alert.created_at, now - timedelta(days=s.retention_alerts_days), None),
        "job_status": (
            JobStatusRow,
            JobStatusRow.updated_at,
            now - timedelta(days=s.retention_runs_days),
            None,
        ),
        "health_check": (
            HealthCheck,
            HealthCheck.checked_at,
            now - timedelta(days=s.retention_runs_days),
            None,
        ),
        "worker_result": (
            WorkerResultRow,
            WorkerResultRow.received_at,
            now - timedelta(days=s.retention_runs_days),
            None,
        ),
    }


async def delete_batch(deps: JobDeps, table: str, cutoff_iso: str) -> int:
    model, column, _cutoff, extra = _targets(deps, deps.clock())[table]
    with deps.db.session() as s:
        return delete_older_than(
            s,
            model,
            column,
            datetime.fromisoformat(cutoff_iso),
            deps.settings.cleanup_batch_size,
            extra,
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
        cutoffs: dict[str, str] = await tracked_step(
            deps,
            ctx,
            FN_ID,
            "cutoffs",
            lambda: _cutoffs(deps),
        )
        deleted: dict[str, int] = {}
        for table, cutoff in cutoffs.items():
            deleted[table] = 0
            for n in range(MAX_BATCHES_PER_TABLE):
                gone = await tracked_step(
                    deps,
                    ctx,
                    FN_ID,
                    f"delete-{table}-{n}",
                    functools.partial(delete_batch, deps, table, cutoff),
                )
                deleted[table] += gone
                if gone < deps.settings.cleanup_batch_size:
                    break
        track(deps, ctx, FN_ID, "done", JobState.COMPLETED, dict(deleted))
        return deleted

    return cleanup


async def _cutoffs(deps: JobDeps) -> dict[str, str]:
    return {t: v[2].isoformat() for t, v in _targets(deps, deps.clock()).items()}
