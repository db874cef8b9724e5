"""An upload's body has a time limit in all, not only a size limit: a client that
trickles its body (slowloris) is answered 408 once the limit has passed, although it
never stops sending, and nothing of its upload is kept. Against a real uvicorn on a
loopback port, with the limit set small through the settings."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.web.app import create_app
from tests.free_port import free_port

LIMIT_S = 1.0
ANNOUNCED = 200_000  # the body the client says it sends; it never gets there


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port = free_port()
    settings = Settings(data_dir=tmp_path, port=port, upload_timeout_seconds=LIMIT_S)
    runtime = build_runtime(settings)
    cfg = uvicorn.Config(
        create_app(runtime, start_engine=False), host="127.0.0.1", port=port, log_config=None
    )
    srv = uvicorn.Server(cfg)
    thread = threading.Thread(target=lambda: asyncio.run(srv.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started
    yield port, tmp_path / "uploads"
    srv.should_exit = True
    thread.join(timeout=15)


def _trickle(sock: socket.socket, chunk: bytes, stop: threading.Event) -> None:
    """A few bytes every 50 ms — never idle long enough for a per-read timeout."""
    with contextlib.suppress(OSError):
        for _ in range(ANNOUNCED // len(chunk)):
            if stop.wait(0.05):
                return
            sock.sendall(chunk)


def _slow_post(
    port: int, path: str, headers: dict[str, str], first: bytes, length: int = ANNOUNCED
) -> tuple[int, str]:
    """POST ``first`` then trickle the rest; the status and body of the answer."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {length}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    stop = threading.Event()
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(head.encode() + first)
        sender = threading.Thread(target=_trickle, args=(sock, b"x" * 16, stop), daemon=True)
        sender.start()
        answer = b""
        try:
            while b"\r\n\r\n" not in answer or len(answer) < answer.find(b"\r\n\r\n") + 40:
                got = sock.recv(4096)
                if not got:
                    break
                answer += got
        finally:
            stop.set()
            sender.join(timeout=5)
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1") else 0
    return status, answer.decode("utf-8", "replace")


def _serves_on(port: int) -> None:
    assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200


def test_a_trickled_zeeschuimer_upload_is_cut_off_and_nothing_kept(
    server: tuple[int, Path],
) -> None:
    port, uploads = server
    headers = {
        "X-Zeeschuimer-Platform": "tiktok-comments",
        "Content-Type": "application/x-ndjson",
        "Origin": "moz-extension://0e6b1c9e-58c1-4a8e-9d0b-6b3f4e1a2c7d",
    }
    status, answer = _slow_post(port, "/api/import-dataset/", headers, b'{"nav_index": "1:1", ')
    assert status == 408, answer
    assert "took longer than 1 s" in answer and "nothing kept" in answer
    assert not uploads.exists() or not any(uploads.iterdir())
    _serves_on(port)


def test_a_trickled_page_upload_is_cut_off_and_nothing_kept(server: tuple[int, Path]) -> None:
    port, uploads = server
    base = f"http://127.0.0.1:{port}"
    page = httpx.get(f"{base}/imports", timeout=5)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and token, page.text[:300]
    boundary = "----trickle"
    first = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token.group(1)}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.ndjson"'
        "\r\nContent-Type: application/x-ndjson\r\n\r\n"
    ).encode()
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Cookie": "; ".join(f"{k}={v}" for k, v in page.cookies.items()),
        "Origin": base,
        "Accept": "application/json",
    }
    status, answer = _slow_post(port, "/imports/upload", headers, first)
    assert status == 408, answer
    assert "took longer than 1 s" in answer
    assert not uploads.exists() or not any(uploads.iterdir())
    _serves_on(port)


def test_an_announced_body_over_the_size_limit_is_refused_before_it_is_read(
    server: tuple[int, Path],
) -> None:
    port, uploads = server
    headers = {"X-Zeeschuimer-Platform": "tiktok.com", "Content-Type": "application/x-ndjson"}
    status, answer = _slow_post(port, "/api/import-dataset/", headers, b"{}\n", 2 << 30)
    assert status == 413 and "harvester import" in answer
    assert not uploads.exists() or not any(uploads.iterdir())
