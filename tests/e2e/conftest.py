"""A real pipeline run on the simulator, served by uvicorn on a free loopback port,
and Debian's chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from harvester.runtime import build_runtime, run_once
from harvester.settings import Settings
from harvester.store.models import Video
from harvester.store.writes import upsert_comments, utcnow
from harvester.tiktok.simulator import create_app as create_sim_app
from harvester.web.app import create_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
HOSTILE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> shop.com'
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app after one real discovery cycle, plus a hostile comment; yields its URL."""
    port = _free_port()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("e2e"),
        port=port,
        regions="FR",
        api_rate_per_minute=100_000,
    )
    sim = create_sim_app(seed=11)
    runtime = build_runtime(
        settings,
        engine_config={"retry_base_delay": 0.05},
        source_transport=httpx.ASGITransport(app=sim),
    )
    app = create_app(runtime)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    fut = asyncio.run_coroutine_threadsafe(
        run_once(runtime, {"regions": ["FR"], "limit": 6}, timeout=120), loop
    )
    fut.result(timeout=150)
    with runtime.db.session() as s:
        vid = s.scalar(sa.select(Video.video_id).limit(1))
        upsert_comments(s, str(vid), [{"comment_id": "hostile-1", "text": HOSTILE}], utcnow())
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = _chromium()
    if path is None:
        reason = "Debian chromium not installed (./harvester test installs it as root)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    p = ctx.new_page()
    yield p
    ctx.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
