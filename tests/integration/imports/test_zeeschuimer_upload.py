"""Zeeschuimer's "Upload to 4CAT" against the harvester: the exact request the
extension sends (popup/interface.js: an XHR POST of the NDJSON blob with only the
``X-Zeeschuimer-Platform`` header, from its moz-extension:// page), then its poll of
``/api/check-query/`` every second until ``done`` — through the durable function on a
running engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.sim.tiktok import create_app as create_sim_app
from harvester.store.imported import get_import
from harvester.web.app import create_app
from tests.fixtures.imports import builders as b

FIXTURES = Path(__file__).parents[2] / "fixtures" / "imports"
FAST_ENGINE = {"retry_base_delay": 0.05, "fire_crons": False}
EXTENSION = {
    "X-Zeeschuimer-Platform": "tiktok-comments",
    "Content-Type": "application/x-ndjson",  # the Blob's type, set by the XHR
    "Origin": "moz-extension://0e6b1c9e-58c1-4a8e-9d0b-6b3f4e1a2c7d",
    "User-Agent": b.UA,
}


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """The whole app with its engine started, reached as the extension reaches it."""
    sim = create_sim_app(seed=7)
    runtime = build_runtime(
        Settings(data_dir=tmp_path, regions="FR"),
        engine_config=FAST_ENGINE,
        source_transport=httpx.ASGITransport(app=sim),
    )
    app = create_app(runtime)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1:8000"
            ) as client:
                yield client, runtime
    finally:
        await runtime.aclose()


async def _poll(client: httpx.AsyncClient, key: str) -> dict[str, Any]:
    """As the extension does: every second (here every 0.2 s) until done."""
    for _ in range(150):
        res = await client.get(f"/api/check-query/?key={key}")
        assert res.status_code == 200
        body: dict[str, Any] = res.json()
        assert set(body) >= {"datasource", "status", "rows", "key", "done", "progress", "url"}
        if body["done"]:
            return body
        await asyncio.sleep(0.2)
    raise AssertionError("the import never finished")


async def test_the_upload_round_trip_imports_and_a_second_adds_nothing(
    served: tuple[httpx.AsyncClient, Any],
) -> None:
    client, runtime = served
    body = (FIXTURES / "zeeschuimer-comments-bom-crlf.ndjson").read_bytes()
    res = await client.post("/api/import-dataset/", content=body, headers=EXTENSION)
    assert res.status_code == 200, res.text
    queued = res.json()
    assert queued["status"] == "queued" and queued["url"].endswith(f"/imports/{queued['key']}")
    done = await _poll(client, queued["key"])
    assert done["datasource"] == "tiktok-comments" and done["progress"] == 100
    assert done["status"] == "done: 1 new videos, 11 new comments, 0 promoted"
    assert done["rows"] == 12 and done["report"]["skipped"] == {"truncated_last_line": 1}
    with runtime.db.session() as s:
        row = get_import(s, queued["key"])
    assert row is not None and row["state"] == "done" and row["origin"] == "zeeschuimer"
    assert not Path(row["path"]).exists()  # the stored upload is gone once imported
    page = await client.get(queued["url"].removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200 and "11" in page.text and "zeeschuimer" in page.text
    domains = await client.get("/domains")
    assert "deal-finder.net" in domains.text
    again = await client.post("/api/import-dataset/", content=body, headers=EXTENSION)
    second = await _poll(client, again.json()["key"])
    assert second["status"] == "done: 0 new videos, 0 new comments, 0 promoted"
    posts = (FIXTURES / "zeeschuimer-tiktok.ndjson").read_bytes()
    headers = {**EXTENSION, "X-Zeeschuimer-Platform": "tiktok.com"}
    res = await client.post("/api/import-dataset/", content=posts, headers=headers)
    third = await _poll(client, res.json()["key"])
    # The comments' post was stored by its id alone: now it is filled in, not new.
    assert third["status"] == "done: 5 new videos, 0 new comments, 3 promoted"
    assert third["report"]["updated_videos"] == 1


@pytest.mark.parametrize(
    ("headers", "body", "status", "text"),
    [
        ({"X-Zeeschuimer-Platform": "instagram.com"}, b"{}\n", 404, "Unknown platform"),
        ({"X-Zeeschuimer-Platform": ""}, b"{}\n", 404, "Unknown platform"),
        ({}, b"", 400, "empty upload"),
        ({}, (FIXTURES / "4cat-tiktok.csv").read_bytes(), 400, "this is 4CAT CSV"),
        ({}, (FIXTURES / "garbage.bin").read_bytes(), 400, "not UTF-8 text"),
        ({"Origin": "https://evil.example"}, b"{}\n", 403, "not accepted"),
    ],
)
async def test_what_is_not_a_tiktok_upload_is_refused_and_nothing_queued(
    served: tuple[httpx.AsyncClient, Any],
    headers: dict[str, str],
    body: bytes,
    status: int,
    text: str,
) -> None:
    client, runtime = served
    res = await client.post("/api/import-dataset/", content=body, headers={**EXTENSION, **headers})
    assert res.status_code == status and text in res.text
    uploads = Path(runtime.settings.data_dir) / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


async def test_an_unknown_key_is_404(served: tuple[httpx.AsyncClient, Any]) -> None:
    client, _ = served
    assert (await client.get("/api/check-query/?key=nope-nope-nope")).status_code == 404


async def test_off_loopback_the_token_is_required_in_4cats_places(tmp_path: Path) -> None:
    runtime = build_runtime(
        Settings(data_dir=tmp_path, host="0.0.0.0", admin_token="s3cret-token-for-tests")
    )
    app = create_app(runtime, start_engine=False)
    body = (FIXTURES / "zeeschuimer-tiktok.ndjson").read_bytes()
    headers = {**EXTENSION, "X-Zeeschuimer-Platform": "tiktok.com"}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://10.0.0.5:8000"
        ) as client:
            res = await client.post("/api/import-dataset/", content=body, headers=headers)
            assert res.status_code == 403 and "access-token" in res.text
            wrong = await client.post(
                "/api/import-dataset/?access-token=wrong", content=body, headers=headers
            )
            assert wrong.status_code == 403
            ok = await client.post(
                "/api/import-dataset/?access-token=s3cret-token-for-tests",
                content=body,
                headers=headers,
            )
            assert ok.status_code == 200
            key = ok.json()["key"]
            assert (await client.get(f"/api/check-query/?key={key}")).status_code == 403
            polled = await client.get(
                f"/api/check-query/?key={key}",
                headers={"Authorization": "Bearer s3cret-token-for-tests"},
            )
            assert polled.status_code == 200 and polled.json()["done"] is False
    finally:
        await runtime.aclose()
