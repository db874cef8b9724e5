"""The admin page shows the log file's tail: escaped, newest last, bounded in lines and
in each line's length."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from harvester.logging_setup import LOG_FILE
from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.web.app import create_app
from harvester.web.dashboard.pages_admin import LOG_LINE_CHARS

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    runtime = build_runtime(Settings(data_dir=tmp_path))
    transport = httpx.ASGITransport(app=create_app(runtime, start_engine=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c
    await runtime.aclose()


async def test_no_log_file_yet_says_how_to_get_one(client: httpx.AsyncClient) -> None:
    res = await client.get("/admin", headers=HTML)
    assert res.status_code == 200 and 'id="log-tail-empty"' in res.text


async def test_the_tail_is_escaped_and_bounded(client: httpx.AsyncClient, tmp_path: Path) -> None:
    lines = [f'{{"event": "line {i}"}}' for i in range(300)]
    lines.append('{"event": "<script>alert(1)</script>"}')
    lines.append("x" * (LOG_LINE_CHARS + 500))
    (tmp_path / LOG_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = await client.get("/admin", headers=HTML)
    body = res.text
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "line 252&#34;" in body and "line 251&#34;" not in body  # the newest 50 of 302
    assert "x" * LOG_LINE_CHARS + " …(cut)" in body and "x" * (LOG_LINE_CHARS + 1) not in body
    more = await client.get("/admin", params={"log_lines": 200}, headers=HTML)
    assert "line 102&#34;" in more.text and "line 101&#34;" not in more.text
    refused = await client.get("/admin", params={"log_lines": 100_000}, headers=HTML)
    assert refused.status_code == 422
