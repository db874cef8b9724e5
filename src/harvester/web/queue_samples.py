"""Queue depth and lag over time: the web app samples the engine's ``queue_stats``
every few seconds into a small ring (the last hour), which the overview's chart reads
through ``/api/v1/queue/series``. In memory: a restart starts a fresh hour."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from harvester.clock import PROCESS_CLOCK
from harvester.engine import QueueStats

INTERVAL_SECONDS = 15.0
SIZE = 240  # one hour at 15 s


class _HasQueueStats(Protocol):
    def queue_stats(self, now: float | None = None) -> QueueStats: ...


class QueueSamples:
    """A ring of (time, due, queued, lag) samples, oldest first."""

    def __init__(self, size: int = SIZE, clock: Callable[[], float] = PROCESS_CLOCK.time) -> None:
        self._ring: deque[dict[str, Any]] = deque(maxlen=size)
        self._clock = clock

    def sample(self, engine: _HasQueueStats) -> dict[str, Any]:
        now = self._clock()
        stats = engine.queue_stats(now)
        point = {
            "ts": now,
            "due": stats.due,
            "queued": stats.queued,
            "lag_seconds": round(stats.lag_seconds, 3),
        }
        self._ring.append(point)
        return point

    def series(self) -> list[dict[str, Any]]:
        return list(self._ring)

    async def run(self, engine: _HasQueueStats, interval: float = INTERVAL_SECONDS) -> None:
        """Sample now, then every ``interval`` seconds until cancelled; a failed read
        (the database away for a moment) skips one sample, never ends the loop."""
        while True:
            with contextlib.suppress(Exception):
                self.sample(engine)
            await asyncio.sleep(interval)
