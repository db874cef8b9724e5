"""Guarded client against a rate-limited simulator: budget used and 429s over a
simulated run (one fake clock drives the simulator, the bucket and its waits).

    uv run python bench/bench_guard.py [--limit 120] [--minutes 2] [--callers 5]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

import httpx

from harvester.guard import Guard
from harvester.sim.tiktok import Faults, create_app
from harvester.store import Database, upgrade
from harvester.tiktok import RateLimited, ResearchApiSource


class FakeTime:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self, start: float) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)
        await asyncio.sleep(0)


async def run(limit: int, minutes: float, callers: int, headroom: float) -> dict[str, float]:
    clock = FakeTime(1_800_000_000.0)  # a minute boundary, as the simulator counts
    sim = create_app(seed=1, faults=Faults(rate_per_minute=limit), clock=clock)
    with tempfile.TemporaryDirectory() as d:
        db = Database(f"sqlite:///{Path(d) / 'g.db'}")
        upgrade(db)
        guard = Guard(
            db=db,
            redis_url=None,
            rate_per_minute=int(limit * headroom),
            burst=1,
            clock=clock,
            sleep=clock.sleep,
        )
        src = ResearchApiSource(
            "http://sim",
            "k",
            "s",
            guard=guard,
            clock=clock,
            http=httpx.AsyncClient(transport=httpx.ASGITransport(app=sim)),
        )
        end = clock.t + minutes * 60
        ok = limited = 0

        async def caller() -> None:
            nonlocal ok, limited
            while clock.t < end:
                try:
                    await src.comment_page("7300000000000000001", max_count=1)
                    if clock.t < end:
                        ok += 1
                except RateLimited:
                    limited += 1

        await asyncio.gather(*(caller() for _ in range(callers)))
        db.dispose()
    budget = limit * minutes
    return {"ok": ok, "429": limited, "budget": budget, "used": ok / budget}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=120, help="simulator requests per minute")
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--callers", type=int, default=5)
    ap.add_argument(
        "--headroom", type=float, default=0.99, help="bucket rate as a share of the server's limit"
    )
    args = ap.parse_args()
    r = asyncio.run(run(args.limit, args.minutes, args.callers, args.headroom))
    print(
        f"simulator limit {args.limit}/min × {args.minutes:g} min = {r['budget']:.0f} calls; "
        f"guard bucket {args.headroom:.0%} of it, {args.callers} concurrent callers"
    )
    print(f"budget used: {r['used']:.1%} ({r['ok']:.0f} calls), 429s: {r['429']:.0f}")


if __name__ == "__main__":
    main()
