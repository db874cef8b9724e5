"""The feeds over HTTP as MISP and OpenCTI pull them: files with ETag/Last-Modified and
304s, a file that changes only when its content does, the token beyond loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from harvester.clock import utcnow
from harvester.jobs.functions.feeds import publish
from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.store.comments import upsert_comments
from harvester.store.mentions import MentionRow, record_mentions
from harvester.store.videos import upsert_videos
from harvester.web.app import create_app
from tests.one_day import one_day

TOKEN = "feed-token-5e1b"
REMOTE = ("10.0.0.9", 40123)


def _mention(cid: str, domain: str) -> MentionRow:
    return MentionRow(cid, "v1", domain, domain, domain, domain, None, 0, 9, False, False, 0.9)


def _seed(app: FastAPI, domains: list[str], first: int = 0) -> None:
    now = utcnow()
    with app.state.runtime.db.session() as s:
        video = {
            "video_id": "v1",
            "advertiser_name": "A",
            "url": "https://www.tiktok.com/@a/video/1",
        }
        upsert_videos(s, [video], now)
        rows = [{"comment_id": f"c{first + i}", "text": "x"} for i in range(len(domains))]
        upsert_comments(s, "v1", rows, now)
        mentions = [_mention(f"c{first + i}", d) for i, d in enumerate(domains)]
        record_mentions(s, mentions, now - timedelta(days=1) if first == 0 else now)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[FastAPI]:
    with one_day():
        app = create_app(build_runtime(Settings(data_dir=tmp_path)), start_engine=False)
        _seed(app, ["alpha.example", "beta.example", "bit.ly", "tiktok.com"])
        yield app
        await app.state.runtime.aclose()


def _client(app: FastAPI, client: tuple[str, int] = ("127.0.0.1", 5000)) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=client)
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8288")


async def test_the_misp_feed_is_served_with_validators_and_304s(served: FastAPI) -> None:
    async with _client(served) as c:
        res = await c.get("/feeds/misp/manifest.json")  # the first pull writes the feeds
        assert res.status_code == 200 and res.headers["content-type"] == "application/json"
        etag, modified = res.headers["etag"], res.headers["last-modified"]
        manifest = res.json()
        assert len(manifest) == 1
        same = await c.get("/feeds/misp/manifest.json", headers={"If-None-Match": etag})
        assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag
        since = await c.get("/feeds/misp/manifest.json", headers={"If-Modified-Since": modified})
        assert since.status_code == 304
        other = await c.get("/feeds/misp/manifest.json", headers={"If-None-Match": '"old"'})
        assert other.status_code == 200 and other.json() == manifest
        (uuid,) = manifest
        event = (await c.get(f"/feeds/misp/{uuid}.json")).json()["Event"]
        assert sorted(a["value"] for a in event["Attribute"]) == ["alpha.example", "beta.example"]
        hashes = (await c.get("/feeds/misp/hashes.csv")).text.splitlines()
        assert len(hashes) == 2 and all(h.endswith(f",{uuid}") for h in hashes)
        head = await c.head("/feeds/misp/manifest.json")
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["content-length"]) == len(res.content)
        missing = await c.get("/feeds/misp/00000000-0000-4000-8000-000000000000.json")
        assert missing.status_code == 404 and "manifest.json" in missing.json()["detail"]
        assert (await c.get("/feeds/misp/..%2Fharvester.db.json")).status_code in (404, 422)


async def test_other_formats_are_served(served: FastAPI) -> None:
    async with _client(served) as c:
        txt = await c.get("/feeds/domains.txt")
        assert txt.text == "alpha.example\nbeta.example\n"
        assert txt.headers["content-type"].startswith("text/plain")
        bundle = await c.get("/feeds/stix/bundle.json")
        assert bundle.headers["content-type"] == "application/stix+json;version=2.1"
        assert sum(o["type"] == "indicator" for o in bundle.json()["objects"]) == 2
        rows = (await c.get("/feeds/domains.csv")).text.splitlines()
        assert rows[0].startswith("domain,") and len(rows) == 3


async def test_a_rewrite_changes_the_etag_only_when_the_content_changes(served: FastAPI) -> None:
    runtime = served.state.runtime
    async with _client(served) as c:
        first = await c.get("/feeds/domains.txt")
        publish(runtime.db, runtime.settings, utcnow().date())  # nothing new
        again = await c.get("/feeds/domains.txt", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        _seed(served, ["gamma.example"], first=10)
        out = publish(runtime.db, runtime.settings, utcnow().date())
        assert out["indicators"] == 3 and out["left_out"] == 1  # tiktok.com
        fresh = await c.get("/feeds/domains.txt", headers={"If-None-Match": first.headers["etag"]})
        assert fresh.status_code == 200 and "gamma.example" in fresh.text
        assert fresh.headers["etag"] != first.headers["etag"]
        manifest = (await c.get("/feeds/misp/manifest.json")).json()
        assert len(manifest) == 2  # yesterday's event and today's


@pytest.fixture
async def exposed(tmp_path: Path) -> AsyncIterator[FastAPI]:
    settings = Settings(data_dir=tmp_path, host="0.0.0.0", admin_token=TOKEN)
    with one_day():
        app = create_app(build_runtime(settings), start_engine=False)
        _seed(app, ["alpha.example"])
        yield app
        await app.state.runtime.aclose()


@pytest.mark.parametrize(
    ("how", "status"),
    [
        ({}, 401),
        ({"headers": {"Authorization": f"Bearer {TOKEN}"}}, 200),
        ({"params": {"token": TOKEN}}, 200),
        ({"params": {"token": "guess"}}, 401),
        ({"headers": {"Authorization": "Bearer guess"}}, 401),
    ],
)
async def test_beyond_loopback_the_feeds_need_the_token(
    exposed: FastAPI, how: dict[str, Any], status: int
) -> None:
    async with _client(exposed, REMOTE) as c:
        for path in ("/feeds/misp/manifest.json", "/feeds/stix/bundle.json", "/feeds/domains.txt"):
            res = await c.get(path, **how)
            assert res.status_code == status, (path, res.text[:200])
        if status == 401:
            assert "?token=" in json.loads(res.text)["detail"]
            assert TOKEN not in res.text
