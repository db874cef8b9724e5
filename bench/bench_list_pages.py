"""What a sorted, counted list page costs on a large table: ``/videos`` with N videos
(SQLite, in-process app), by each sort key, on the first page and on a deep one
(offset paging), and ``/domains`` sorted by mentions. CPU seconds of this process per
request (the server is in-process, so this is the server's work plus the client's
small share), worst of ``--runs``.

    uv run python bench/bench_list_pages.py [--videos 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.store.domains import ensure_domains
from harvester.store.videos import upsert_videos
from harvester.web.app import create_app

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
HTML = {"accept": "text/html"}


def seed(rt: object, videos: int) -> None:
    db = rt.db  # type: ignore[attr-defined]
    batch = 2000
    for start in range(0, videos, batch):
        rows = [
            {
                "video_id": f"v{i:09d}",
                "advertiser_name": f"advertiser {i % 997}",
                "region_code": ("FR", "DE", "ES", "IT", "GB")[i % 5],
            }
            for i in range(start, min(start + batch, videos))
        ]
        with db.session() as s:
            upsert_videos(s, rows, NOW + timedelta(seconds=start))
    with db.session() as s:
        names = {f"shop-{i}.example": f"shop-{i}.example" for i in range(videos // 10)}
        ensure_domains(s, names, NOW, frozenset())


async def measure(client: httpx.AsyncClient, url: str, runs: int) -> tuple[float, float]:
    """(worst CPU s, worst wall s) of ``runs`` GETs of ``url``."""
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        res = await client.get(url, headers=HTML)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        assert res.status_code == 200, (url, res.status_code)
    return max(cpu), max(wall)


async def main(videos: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rt = build_runtime(Settings(data_dir=Path(tmp)))
        t0 = time.perf_counter()
        seed(rt, videos)
        took = time.perf_counter() - t0
        print(f"seeded {videos:,} videos and {videos // 10:,} domains in {took:.1f} s")
        app = create_app(rt, start_engine=False)
        transport = httpx.ASGITransport(app=app)
        deep = videos // 50 // 2  # the middle page at 50 a page
        urls = [
            f"/videos?sort={k}" for k in ("video", "comments", "advertiser", "source", "discovered")
        ]
        urls += [f"/videos?sort=advertiser&page={deep}", f"/videos?sort=video&page={deep}"]
        urls += ["/domains?sort=mentions", f"/domains?sort=name&page={videos // 10 // 50 // 2}"]
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            await c.get("/videos", headers=HTML)  # warm: templates, pools
            print(f"{'page':48} {'CPU s (worst)':>14} {'wall s (worst)':>15}")
            for url in urls:
                cpu, wall = await measure(c, url, runs)
                print(f"{url:48} {cpu:14.3f} {wall:15.3f}")
        await rt.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--videos", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("load average:", Path("/proc/loadavg").read_text().strip())
    asyncio.run(main(args.videos, args.runs))
    print("load average:", Path("/proc/loadavg").read_text().strip())
