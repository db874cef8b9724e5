"""Runs of the last day by status, from the engine's run table: the truth about what is
running. The app's job-status rows are not: a function that ends without a last
update (the health check) stays "running" there, one more every five minutes. A read
over the engine's tables as they are today, to move behind the engine's facade."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from harvester.engine import schema
from harvester.engine.store import Store

DAY_S = 86_400.0


def runs_by_status(store: Store, since: float) -> dict[str, int]:
    """How many runs created at or after ``since`` are in each status."""
    runs = schema.runs
    query = (
        sa.select(runs.c.status, sa.func.count())
        .where(runs.c.created_at >= since)
        .group_by(runs.c.status)
    )
    with store.engine.connect() as conn:
        return {str(status): int(n) for status, n in conn.execute(query)}


def with_engine_run_counts(overview: dict[str, Any], engine: Any) -> dict[str, Any]:
    """The overview with ``runs_24h`` counted by the embedded engine, when there is one."""
    if engine is not None:
        overview["runs_24h"] = runs_by_status(engine.store, engine.cfg.clock() - DAY_S)
    return overview
