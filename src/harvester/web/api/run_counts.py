"""The overview's run numbers, from the engine (``jobs.run_outcomes``): runs of the last
day by status, the success rate, and completed/failed per day of the series. The app's
job-status rows are not counted: a function that ends without a last update (the
health check) stays "running" there, one more every five minutes."""

from __future__ import annotations

from datetime import date
from typing import Any

from harvester.engine import Engine
from harvester.jobs.run_outcomes import DAY, daily_outcomes, failure_rate, run_outcomes


def with_engine_run_counts(overview: dict[str, Any], engine: Engine | None) -> dict[str, Any]:
    """``overview`` (the store's) with its run numbers; none without an embedded engine
    (the runs then live in the Inngest server)."""
    series = overview.get("series", [])
    days: dict[str, tuple[int, int]] = {}
    if engine is None:
        overview["runs_24h"], overview["success_rate"] = {}, None
    else:
        last_day = run_outcomes(engine, DAY)
        overview["runs_24h"] = last_day.by_status
        overview["success_rate"] = _success(last_day.completed, last_day.failed)
        if series:
            days = daily_outcomes(engine, date.fromisoformat(series[0]["day"]), len(series))
    for point in series:
        ok, bad = days.get(point["day"], (0, 0))
        point.update(runs_completed=ok, runs_failed=bad, success_rate=_success(ok, bad))
    return overview


def _success(completed: int, failed: int) -> float | None:
    rate = failure_rate(completed, failed)
    return None if rate is None else round(1.0 - rate, 4)
