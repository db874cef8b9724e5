"""A real pipeline run on the simulator, served by uvicorn on a free loopback port,
and Debian's chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from harvester.jobs.events import EXTRACT_REQUESTED, HARVEST_REQUESTED
from harvester.runtime import Runtime, build_runtime, run_once
from harvester.settings import Settings
from harvester.sim.tiktok import create_app as create_sim_app
from harvester.store.alerts import add_alert
from harvester.store.clock import utcnow
from harvester.store.comments import upsert_comments
from harvester.store.job_runs import add_dead_letter
from harvester.store.models import Severity, Video
from harvester.web.app import create_app
from tests.one_day import one_day

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
HOSTILE = (
    '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
    ' "><svg onload=window.__xss=3> visit shop-hostile.com now'
)
HOSTILE_DOMAIN = "shop-hostile.com"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Served:
    url: str
    runtime: Runtime
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        """Run a coroutine on the server's loop (where the engine lives)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=timeout)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed_hostile_data(served: Served) -> None:
    """A hostile comment (extracted by the real function), a dead letter, an alert."""
    rt = served.runtime
    with rt.db.session() as s:
        vid = str(s.scalar(sa.select(Video.video_id).order_by(Video.video_id).limit(1)))
        upsert_comments(s, vid, [{"comment_id": "hostile-1", "text": HOSTILE}], utcnow())
        add_dead_letter(
            s,
            "tiktok-harvester-harvest-comments",
            "01-seeded-dead-letter",
            {"name": HARVEST_REQUESTED, "data": {"video_id": vid, "window": "e2e"}},
            {"name": "SourceError", "message": "<b>simulated</b> 503 from TikTok"},
            4,
        )
        add_alert(s, "e2e", Severity.WARNING, "<script>window.__xss=4</script> alert", None)
    event = {"name": EXTRACT_REQUESTED, "data": {"video_id": vid, "comment_ids": ["hostile-1"]}}
    served.run(rt.send_events([event]))
    served.run(rt.engine.wait_for_idle(timeout=60), timeout=90)  # type: ignore[union-attr]


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app after one real discovery cycle (simulator), plus hostile data, on one
    day (``tests.one_day``: the overview's "new today" once failed across midnight).
    The server runs on that day's clock; every page is handed the same clock."""
    with one_day():
        yield from _serve(tmp_path_factory)


def _serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    port = _free_port()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("e2e"), port=port, regions="FR", api_rate_per_minute=6000
    )
    runtime = build_runtime(
        settings,
        # No cron runs: a discovery at a */10 boundary would keep it busy for minutes.
        engine_config={"retry_base_delay": 0.05, "fire_crons": False},
        source_transport=httpx.ASGITransport(app=create_sim_app(seed=11)),
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime), host="127.0.0.1", port=port, log_config=None, lifespan="on"
        )
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    out = Served(f"http://127.0.0.1:{port}", runtime, loop)
    out.run(run_once(runtime, {"regions": ["FR"], "limit": 6}, timeout=120), timeout=150)
    _seed_hostile_data(out)
    yield out
    server.should_exit = True
    thread.join(timeout=15)


def _chromium() -> str | None:
    for path in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if path and Path(path).exists():
            return path
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian chromium; skipped when missing (a failure under CI=true)."""
    path = _chromium()
    if path is None:
        reason = "Debian chromium not installed (apt-get install chromium; ./harvester test does)"
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
    """A fresh page; fails the test on any console error (CSP violations included)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    # The page's clock is the server's (tests.one_day): dates the page computes agree
    # with the ones the server rendered, whatever the real date is. It keeps moving.
    ctx.clock.install(time=utcnow())
    p = ctx.new_page()
    errors: list[str] = []
    # HTTP error statuses (a refused form) are expected; script and CSP errors are not.
    p.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.on("dialog", lambda d: d.accept())
    yield p
    ctx.close()
    assert not errors, f"browser console errors: {errors}"


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
