"""Queue depth and lag sampled into a ring the overview's chart reads."""

from __future__ import annotations

import asyncio
import itertools

from harvester.engine import QueueStats
from harvester.web.api.series import bucket_for
from harvester.web.queue_samples import QueueSamples


class _Engine:
    def __init__(self) -> None:
        self.calls = 0

    def queue_stats(self, now: float | None = None) -> QueueStats:
        self.calls += 1
        if self.calls == 2:
            raise OSError("database away for a moment")
        return QueueStats(due=self.calls, queued=10 * self.calls, lag_seconds=0.12345)


def test_the_ring_keeps_the_newest_samples_oldest_first() -> None:
    ticks = itertools.count(100)
    ring = QueueSamples(size=3, clock=lambda: float(next(ticks)))
    eng = _Engine()
    eng.calls = 2  # skip the failing call
    for _ in range(5):
        ring.sample(eng)
    assert [p["ts"] for p in ring.series()] == [102.0, 103.0, 104.0]
    assert ring.series()[-1] == {"ts": 104.0, "due": 7, "queued": 70, "lag_seconds": 0.123}


async def test_the_sampling_loop_survives_a_failed_read() -> None:
    ring, eng = QueueSamples(), _Engine()
    task = asyncio.create_task(ring.run(eng, interval=0.001))
    while eng.calls < 4:
        await asyncio.sleep(0.001)
    task.cancel()
    assert len(ring.series()) >= 3 and ring.series()[0]["due"] == 1


def test_function_chart_buckets_are_whole_minutes_about_48_per_range() -> None:
    assert [bucket_for(h) for h in (1, 24, 24 * 7)] == [120.0, 1800.0, 12_600.0]
