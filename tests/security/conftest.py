"""Attacks on a running `harvester up` (the embedded engine and the API), over real
loopback sockets: a hostile web page in Chromium on another loopback origin, and raw
HTTP. Everything runs on 127.0.0.1; no test depends on the date or the hour."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Generator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from harvester.runtime import Runtime, build_runtime
from harvester.settings import Settings
from harvester.web.app import create_app
from tests.e2e.conftest import browser  # noqa: F401  (one way to launch Debian chromium)
from tests.free_port import free_port

EVENT_KEY = "event-key-3c9d1f"
SIGNING_KEY = "signkey-test-" + "5e" * 32


@dataclass
class Live:
    """A `harvester up` app served by uvicorn on a free loopback port."""

    url: str
    runtime: Runtime
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        """Run a coroutine on the server's loop (where the engine lives)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=timeout)

    def events(self, name: str) -> int:
        """Events of ``name`` the engine stored."""
        return len(self.runtime.engine.list_events(name=name))  # type: ignore[union-attr]

    def function_ids(self) -> list[str]:
        return sorted(f.id for f in self.runtime.engine.list_functions())  # type: ignore[union-attr]


def serve(tmp: Path, **settings: Any) -> Generator[Live, None, None]:
    """`harvester up` with ``settings``, until the generator is closed."""
    port = free_port()
    runtime = build_runtime(
        Settings(data_dir=tmp, port=port, **settings), engine_config={"fire_crons": False}
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime), host="127.0.0.1", port=port, log_config=None, lifespan="on"
        )
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield Live(f"http://127.0.0.1:{port}", runtime, loop)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        if not thread.is_alive():  # release it on its own loop, off any running one
            closer = threading.Thread(target=loop.run_until_complete, args=(runtime.aclose(),))
            closer.start()
            closer.join(timeout=15)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """`harvester up` as shipped: no keys, registration closed, loopback."""
    yield from serve(tmp_path_factory.mktemp("up"))


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """`harvester up` with INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY set."""
    yield from serve(
        tmp_path_factory.mktemp("keyed"),
        inngest_event_key=EVENT_KEY,
        inngest_signing_key=SIGNING_KEY,
    )


class AttackSite:
    """Another loopback origin serving the attacker's pages (``pages``: path → HTML)."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def attack_site() -> Iterator[AttackSite]:
    site = AttackSite()
    yield site
    site.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:  # noqa: F811
    """A fresh browser page (console errors are expected: refused requests)."""
    ctx = browser.new_context()
    ctx.set_default_timeout(10_000)
    p = ctx.new_page()
    yield p
    ctx.close()


def get_json(url: str, **kw: Any) -> Any:
    res = httpx.get(url, timeout=10, **kw)
    res.raise_for_status()
    return res.json()
