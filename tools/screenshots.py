"""Take the README's dashboard screenshots (docs/screens/*.png) from a real run.

What `harvester up` does, in one process on a scratch data folder: the simulator as the
TikTok source, the engine and the dashboard on a free loopback port, then one discovery
cycle to completion. The harvest throttle is set low (6 runs a minute) so that some
harvests wait for it, as they do on a busy day, and the run waterfall shows that wait.
Then headless Chromium opens the overview, the slowest harvest run, the domains ranked
by distinct videos, the harvest function's page, the videos by comment count (with
their source) and the day's report (its contents and first section).

The simulator's comments are in many scripts: install Debian's fonts-wqy-zenhei and
fonts-noto-color-emoji first, or the report's evidence shows empty boxes.

    .venv/bin/python tools/screenshots.py        # writes docs/screens/*.png
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from harvester.runtime import build_runtime, run_once
from harvester.settings import Settings
from harvester.sim.tiktok import create_app as create_sim_app
from harvester.web.app import create_app

OUT = Path(__file__).resolve().parents[1] / "docs" / "screens"
HARVEST_FN = "tiktok-harvester-harvest-comments"
FULL_PAGE = frozenset({"overview", "function"})
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _chromium() -> str:
    for path in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if path and Path(path).exists():
            return path
    sys.exit("chromium is not installed (apt-get install chromium)")


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="harvester-screens-"))
    port = _free_port()
    settings = Settings(
        data_dir=data_dir, port=port, regions="FR,DE,GB,ES,IT", harvest_throttle_per_minute=6
    )
    runtime = build_runtime(
        settings,
        engine_config={"fire_crons": False},
        source_transport=httpx.ASGITransport(app=create_sim_app(seed=7)),
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_config=None)
    )
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    cycle = run_once(runtime, {"regions": ["FR", "DE", "GB", "ES", "IT"], "limit": 6}, timeout=600)
    print(asyncio.run_coroutine_threadsafe(cycle, loop).result(timeout=660))
    assert runtime.engine is not None
    # The engine is idle while throttled harvests wait for their turn: wait for them.
    deadline = time.monotonic() + 300
    while runtime.engine.list_runs(fn=HARVEST_FN, status="QUEUED").data:
        assert time.monotonic() < deadline, "throttled harvests did not finish in 5 minutes"
        time.sleep(1)
    time.sleep(16)  # one more queue sample for the overview's chart
    harvests = runtime.engine.list_runs(fn=HARVEST_FN, status="COMPLETED", limit=200).data
    slowest = max(harvests, key=lambda r: (r.started_at or r.created_at) - r.created_at)
    pages = {
        "overview": "/",
        "run-waterfall": f"/runs/{slowest.run_id}",
        "domains": "/domains?sort=videos",
        "function": f"/functions/{HARVEST_FN}",
        "videos": "/videos?sort=comments",
        "report": "/report",
    }
    _shoot(url, pages)
    server.should_exit = True
    shutil.rmtree(data_dir, ignore_errors=True)


def _shoot(url: str, pages: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name, path in pages.items():
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            if page.locator("[data-src] [data-chart]").count():
                page.wait_for_selector("[data-chart][data-drawn]")
            full = name in FULL_PAGE  # the rest: the first screen says it
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
            print("wrote", OUT / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
