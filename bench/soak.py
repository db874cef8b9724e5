"""Load and soak on the embedded engine (loopback, bounded): a burst of events, then a
steady rate for a fixed time; reports errors, drain time, memory and database size.

    uv run python bench/soak.py [--burst 10000] [--minutes 10] [--rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import inngest
from bench_engine import rss_mb, start  # type: ignore[import-not-found]


def fns(client: inngest.Inngest) -> list[Any]:
    @client.create_function(
        fn_id="work",
        trigger=inngest.TriggerEvent(event="s/work"),
        concurrency=[inngest.Concurrency(limit=20)],
    )
    async def work(ctx: inngest.Context) -> int:
        a = await ctx.step.run("a", lambda: 1)
        b = await ctx.step.run("b", lambda: 2)
        return int(a) + int(b)

    return [work]


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--burst", type=int, default=10_000)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=50.0, help="events per second in the soak")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "soak.db"
        engine = await start(fns, f"sqlite:///{db}", workers=16, history_days=0.002)
        t0 = time.perf_counter()
        for i in range(0, args.burst, 500):
            await engine.send(
                [{"name": "s/work", "data": {"i": j}} for j in range(i, min(args.burst, i + 500))]
            )
        await engine.wait_for_idle(1800)
        drain = time.perf_counter() - t0
        print(
            f"burst: {args.burst:,} events drained in {drain:.1f} s "
            f"({args.burst / drain:,.0f} runs/s), RSS {rss_mb():.0f} MB",
            flush=True,
        )
        end = time.monotonic() + args.minutes * 60
        sent, samples = 0, []
        while time.monotonic() < end:
            await engine.send([{"name": "s/work", "data": {}} for _ in range(int(args.rate))])
            sent += int(args.rate)
            await asyncio.sleep(1.0)
            if sent % (int(args.rate) * 30) == 0:
                q = engine.queue_stats(time.time())
                samples.append((rss_mb(), q.queued, os.path.getsize(db) / 2**20))
                print(
                    f"  soak {sent:,} events: RSS {samples[-1][0]:.0f} MB, queue "
                    f"{q.queued}, db {samples[-1][2]:.1f} MB",
                    flush=True,
                )
        await engine.wait_for_idle(600)
        failed = engine.list_runs(status="FAILED", limit=1).data
        stats = engine.function_stats()
        await engine.stop()
        rss = [s[0] for s in samples] or [rss_mb()]
        print(
            f"soak: {sent:,} events at {args.rate:g}/s over {args.minutes:g} min; failed runs "
            f"{len(failed)}; RSS min/max {min(rss):.0f}/{max(rss):.0f} MB; runs kept {stats}"
        )


if __name__ == "__main__":
    asyncio.run(main())
