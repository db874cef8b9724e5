"""How runs ended, as the engine recorded them: the one source of run outcomes.

The health check's failure rate, the overview's counts (page and ``/api``), ``harvester
status`` and the ``/metrics`` gauges all count here, so they agree. The app's
``job_status`` rows only say which step a run is on; nothing counts them. Windows are
measured on the engine's clock, the one that stamped its runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from harvester.engine import Engine, EngineConfig, RunStatus
from harvester.settings import Settings

HOUR = 3600.0
DAY = 86_400.0


@dataclass(frozen=True)
class RunOutcomes:
    """Runs created in the last ``window_seconds``, by status."""

    window_seconds: float
    by_status: dict[str, int]

    @property
    def completed(self) -> int:
        return self.by_status.get(RunStatus.COMPLETED, 0)

    @property
    def failed(self) -> int:
        return self.by_status.get(RunStatus.FAILED, 0)

    @property
    def failure_rate(self) -> float | None:
        """Failed / (completed + failed); None when none of them ended yet."""
        return failure_rate(self.completed, self.failed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "window_seconds": self.window_seconds,
            "by_status": dict(self.by_status),
            "completed": self.completed,
            "failed": self.failed,
            "failure_rate": self.failure_rate,
        }


def failure_rate(completed: int, failed: int) -> float | None:
    done = completed + failed
    return round(failed / done, 4) if done else None


def run_outcomes(engine: Engine, window: float = DAY, now: float | None = None) -> RunOutcomes:
    """The runs created in the ``window`` seconds before ``now`` (the engine's now)."""
    now = engine.cfg.clock() if now is None else now
    by_status: dict[str, int] = {}
    for counts in engine.run_counts(now - window).values():
        for status, n in counts.items():
            by_status[status] = by_status.get(status, 0) + n
    return RunOutcomes(window, dict(sorted(by_status.items())))


def daily_outcomes(engine: Engine, first_day: date, days: int) -> dict[str, tuple[int, int]]:
    """(completed, failed) per UTC day (ISO date) from ``first_day``, by when runs ended."""
    since = datetime.combine(first_day, time(), UTC).timestamp()
    until = since + days * DAY
    totals = [[0, 0] for _ in range(days)]
    for fn_id in engine.run_counts(since):
        for i, bucket in enumerate(engine.function_series(fn_id, since, until, DAY)[:days]):
            totals[i][0] += bucket.completed
            totals[i][1] += bucket.failed
    return {
        datetime.fromtimestamp(since + i * DAY, UTC).date().isoformat(): (ok, bad)
        for i, (ok, bad) in enumerate(totals)
    }


@contextmanager
def engine_runs(settings: Settings) -> Iterator[Engine | None]:
    """The embedded engine's runs, read from its database (never started); None when
    the runs live in an Inngest server (Cloud or self-hosted), which keeps its own."""
    if not settings.embedded_engine:
        yield None
        return
    engine = Engine(EngineConfig(database_url=settings.effective_engine_database_url))
    try:
        yield engine
    finally:
        engine.close()
