"""The whole pipeline on the embedded engine and the simulator (in-process):
end-to-end comments/s with the throttle and the bucket lifted, then the TikTok calls
per minute with the seed configuration on (throttle 100/min, bucket 100/min).

    uv run python bench/bench_pipeline.py [--videos 300] [--throttled-seconds 150]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from harvester.jobs.events import DISCOVERY_REQUESTED
from harvester.logging_setup import configure_logging
from harvester.runtime import build_runtime, run_once, summarize
from harvester.settings import Settings
from harvester.sim.tiktok import create_app as create_sim_app
from harvester.web.app import create_app


async def lifted(tmp: Path, videos: int) -> dict[str, Any]:
    settings = Settings(
        data_dir=tmp,
        regions="FR,DE,ES",
        api_rate_per_minute=10**6,
        harvest_throttle_per_minute=10**6,
        quota_requests_per_day=10**9,  # throughput, not the daily quota (bench_quota.py)
        quota_records_per_day=10**12,
    )
    sim = create_sim_app(seed=5)
    runtime = build_runtime(settings, source_transport=httpx.ASGITransport(app=sim))
    app = create_app(runtime)
    async with app.router.lifespan_context(app):
        t0 = time.perf_counter()
        s = await run_once(runtime, {"limit": videos}, timeout=900)
        elapsed = time.perf_counter() - t0
    await runtime.aclose()
    return {"elapsed": elapsed, "summary": s, "rate": s.comments / elapsed}


async def throttled(tmp: Path, seconds: float, sim_port: int | None = None) -> dict[str, Any]:
    """The seed configuration for ``seconds``: TikTok calls per minute and 429s. With
    ``sim_port`` the simulator is the HTTP server already running there (as the peers
    in compare.py see it); else an in-process one."""
    # The seed's 100 calls/min, set explicitly: the simulator's demo world grants more.
    settings = Settings(
        data_dir=tmp,
        regions="FR,DE,ES",
        sim_port=sim_port or 8299,
        api_rate_per_minute=100,
        quota_requests_per_day=10**9,  # the per-minute pace is measured, not the day's quota
    )
    sim = None if sim_port else create_sim_app(seed=6)
    transport = httpx.ASGITransport(app=sim) if sim is not None else None
    runtime = build_runtime(settings, source_transport=transport)
    app = create_app(runtime)

    def stats() -> dict[str, int]:
        if sim is not None:
            return dict(sim.state.sim.stats)
        return dict(httpx.get(f"http://127.0.0.1:{sim_port}/_sim/stats").json())

    per_minute: list[int] = []
    async with app.router.lifespan_context(app):
        await runtime.send_events([{"name": DISCOVERY_REQUESTED, "data": {"limit": 1000}}])
        last = 0
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            await asyncio.sleep(min(60.0, seconds - (time.monotonic() - start)))
            now = stats()["requests"]
            per_minute.append(now - last)
            last = now
            print(f"  minute {len(per_minute)}: {per_minute[-1]} TikTok calls", flush=True)
        s = summarize(runtime.db)
        final = stats()
    await runtime.aclose()
    return {"per_minute": per_minute, "429": final["429"], "summary": s, "sim_stats": final}


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--videos", type=int, default=300)
    ap.add_argument("--throttled-seconds", type=float, default=150.0)
    args = ap.parse_args()
    configure_logging("WARNING", "console")
    with tempfile.TemporaryDirectory() as d:
        print(f"throttle lifted: discovery → {args.videos} videos → domains…", flush=True)
        a = await lifted(Path(d) / "a", args.videos)
        s = a["summary"]
        print(
            f"end to end: {s.comments:,} comments, {s.domains:,} domains in "
            f"{a['elapsed']:.1f} s = {a['rate']:,.0f} comments/s (failures {s.failures})"
        )
        print(f"seed configuration for {args.throttled_seconds:.0f} s…", flush=True)
        b = await throttled(Path(d) / "b", args.throttled_seconds)
        full = b["per_minute"][:-1] if len(b["per_minute"]) > 1 else b["per_minute"]
        print(f"TikTok calls per full minute: {full} (max {max(full)}), 429s {b['429']}")


if __name__ == "__main__":
    asyncio.run(main())
