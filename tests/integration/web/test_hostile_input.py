"""The hostile-input matrix at the app's JSON boundaries: one row per attack, each
answered with a clear 4xx, nothing stored, and the process still serving."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from harvester.runtime import Runtime, build_runtime
from harvester.settings import Settings
from harvester.web.app import create_app
from harvester.web.body_guard import JSONBodyGuardMiddleware
from harvester.web.http_protocol import HeaderDeadlineProtocol
from tests.free_port import free_port

DEEP = b"[" * 100_000 + b"]" * 100_000
BIG = 17 * 1024 * 1024  # over every route's limit (API 512 KiB, sync 2 MiB, events 16 MiB)
J = "application/json"

# (row, body, content type, status, words in the message)
ROWS: list[tuple[str, bytes, str, int, str]] = [
    ("malformed", b"{not json", J, 400, "not valid JSON"),
    ("truncated", b'{"name": "a/b", "data": {"x": ', J, 400, "not valid JSON"),
    ("deeply nested", DEEP, J, 400, "nested deeper than 32"),
    ("deep object", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, J, 400, "nested"),
    ("huge string", b'{"name": "a/b", "on": "' + b"x" * BIG + b'"}', J, 413, "over"),
    ("huge array", b"[" + b"1," * (BIG // 2) + b"1]", J, 413, "over"),
    ("NaN", b'{"name": "a/b", "on": NaN}', J, 400, "NaN"),
    ("Infinity", b'{"name": "a/b", "on": -Infinity}', J, 400, "Infinity"),
    ("duplicate keys", b'{"name": "a/b", "on": true, "on": false}', J, 400, "duplicate key"),
    ("invalid UTF-8", b'{"name": "a/\xff\xfe"}', J, 400, "not UTF-8"),
    ("lone surrogate", b'{"name": "a/\\ud800", "on": true}', J, 400, "surrogate"),
    ("form upload", b'{"name": "a/b", "on": true}', "multipart/form-data; boundary=x", 415, J),
    ("xml", b"<on>true</on>", "application/xml", 415, "not JSON"),
]  # fmt: skip

# Every JSON route that stores something: our API, the engine's event API and sync.
ROUTES = ["/e/any-key", "/api/v1/events", "/api/v1/kill-switch", "/fn/register"]


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    runtime = build_runtime(Settings(data_dir=tmp_path))
    app = create_app(runtime, start_engine=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8288") as c:
        yield c, runtime
    await runtime.aclose()


def _stored_events(runtime: Runtime) -> int:
    assert runtime.engine is not None
    return len(runtime.engine.list_events(limit=500))


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("row", "body", "ctype", "status", "words"), ROWS, ids=[r[0] for r in ROWS]
)
async def test_hostile_body_is_refused_nothing_is_stored_and_the_app_serves_on(
    served: tuple[httpx.AsyncClient, Runtime],
    route: str,
    row: str,
    body: bytes,
    ctype: str,
    status: int,
    words: str,
) -> None:
    client, runtime = served
    res = await client.post(route, content=body, headers={"content-type": ctype})
    assert res.status_code == status, (row, res.text[:300])
    answer = res.json()
    assert words in (answer.get("detail") or answer.get("error")), answer
    if route.startswith("/e/"):
        assert answer["ids"] == []  # the event API's own shape, for the SDK
    assert _stored_events(runtime) == 0
    assert (await client.get("/api/v1/kill-switch")).json()["on"] is False
    assert runtime.engine is not None and runtime.engine.list_functions() == []
    # ...and it keeps serving: a good event right after is taken.
    good = await client.post("/e/any-key", json={"name": "test/ok", "data": {}})
    assert good.status_code == 200 and len(good.json()["ids"]) == 1


async def test_the_sdk_endpoint_refuses_deep_nesting_before_the_sdk_parses_it(
    served: tuple[httpx.AsyncClient, Runtime],
) -> None:
    client, _ = served
    res = await client.post("/api/inngest?fnId=x&stepId=step", content=DEEP)
    assert res.status_code == 400 and "nested" in res.json()["detail"]


async def test_a_body_that_never_finishes_is_refused_with_408() -> None:
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse(await request.json())

    app = JSONBodyGuardMiddleware(
        Starlette(routes=[Route("/api/x", echo, methods=["POST"])]), timeout=0.2
    )
    gate = asyncio.Event()

    async def slowloris() -> AsyncIterator[bytes]:
        yield b'{"name": '
        await gate.wait()  # never set: the rest of the body never comes
        yield b'"a"}'

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        res = await c.post("/api/x", content=slowloris())
        assert res.status_code == 408 and "not received within" in res.json()["detail"]
        ok = await c.post("/api/x", json={"name": "a"})  # the next client is served
        assert ok.json() == {"name": "a"}


def _events_for(body: Any) -> bytes:
    return json.dumps(body).encode()


async def test_a_strict_json_body_passes_the_guard_unchanged(
    served: tuple[httpx.AsyncClient, Runtime],
) -> None:
    client, runtime = served
    text = 'emoji \\ud83d\\ude00, \\"quotes\\" and [brackets] {inside} strings'
    raw = b'{"name": "test/ok", "data": {"t": "' + text.encode() + b'"}}'
    res = await client.post("/e/k", content=raw, headers={"content-type": "application/json"})
    assert res.status_code == 200
    listed = (await client.get("/v1/events", params={"name": "test/ok"})).json()["data"]
    assert listed[0]["data"]["t"] == json.loads(b'"' + text.encode() + b'"')
    # A body that does not say it is JSON is refused (docs/security.md): a web page can
    # make a browser send text/plain, a form or no type to loopback without asking.
    no_type = await client.post("/e/k", content=_events_for({"name": "test/curl"}))
    assert no_type.status_code == 415 and "application/json" in no_type.json()["error"]
    assert _stored_events(runtime) == 1


class QuickDeadline(HeaderDeadlineProtocol):
    header_timeout = 0.3


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[int]:
    """The app behind a real uvicorn on a loopback port (header parsing is uvicorn's)."""
    port = free_port()
    runtime = build_runtime(Settings(data_dir=tmp_path, port=port))
    cfg = uvicorn.Config(create_app(runtime, start_engine=False), host="127.0.0.1", port=port,
                         log_config=None, http=QuickDeadline)  # fmt: skip
    server = uvicorn.Server(cfg)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield port
    server.should_exit = True
    thread.join(timeout=15)


@pytest.mark.parametrize("size", [40_000, 80_000, 2_000_000])
@pytest.mark.parametrize("repeat", range(3))  # TCP cuts a request differently each time
def test_oversized_headers_are_refused_and_the_server_serves_on(
    live_server: int, size: int, repeat: int
) -> None:
    status = b"431"  # whether the headers arrive whole or in pieces
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * size + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", live_server), timeout=10) as s:
        # Sent from a thread and read here: above ~1 MB uvicorn answers 400 and closes
        # while the rest is still on its way (a sendall here once died of EPIPE).
        sender = threading.Thread(target=_send_until_closed, args=(s, request), daemon=True)
        sender.start()
        line = s.recv(200).split(b"\r\n")[0]  # never reset: the server reads the rest
        sender.join(timeout=10)
    assert line.split(b" ")[1] == status, line
    assert httpx.get(f"http://127.0.0.1:{live_server}/health", timeout=5).status_code == 200


def _send_until_closed(s: socket.socket, data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        s.sendall(data)


def test_a_request_whose_headers_never_end_is_closed(live_server: int) -> None:
    with socket.create_connection(("127.0.0.1", live_server), timeout=10) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        assert s.recv(100) == b""  # the server closed it (slowloris)
    assert httpx.get(f"http://127.0.0.1:{live_server}/health", timeout=5).status_code == 200


def test_the_header_deadline_spares_keep_alive_and_slow_bodies(live_server: int) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{live_server}") as c:
        assert [c.get("/health").status_code for _ in range(3)] == [200, 200, 200]
    with socket.create_connection(("127.0.0.1", live_server), timeout=10) as s:
        body = b'{"name": "test/slow"}'
        s.sendall(b"POST /e/k HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")  # fmt: skip
        time.sleep(3 * QuickDeadline.header_timeout)  # past the header deadline, in the body
        s.sendall(body)
        assert s.recv(200).split(b"\r\n")[0] == b"HTTP/1.1 200 OK"
