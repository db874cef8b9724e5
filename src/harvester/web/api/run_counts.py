"""Runs of the last day by status, from the engine: the truth about what is running.
The app's job-status rows are not: a function that ends without a last update (the
health check) stays "running" there, one more every five minutes."""

from __future__ import annotations

from typing import Any

from harvester.engine import Engine

DAY_S = 86_400.0


def runs_by_status(engine: Engine, since: float) -> dict[str, int]:
    """How many runs created at or after ``since`` are in each status."""
    out: dict[str, int] = {}
    for by_status in engine.run_counts(since).values():
        for status, n in by_status.items():
            out[status] = out.get(status, 0) + n
    return out


def with_engine_run_counts(overview: dict[str, Any], engine: Engine | None) -> dict[str, Any]:
    """The overview with ``runs_24h`` counted by the embedded engine, when there is one."""
    if engine is not None:
        overview["runs_24h"] = runs_by_status(engine, engine.cfg.clock() - DAY_S)
    return overview
