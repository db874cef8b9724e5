"""The search box's page: every kind grouped, hostile text escaped, the query bounded,
a run id still opens its run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.store.comments import upsert_comments
from harvester.store.domains import ensure_domains
from harvester.store.videos import upsert_videos
from harvester.web.app import create_app

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    runtime = build_runtime(Settings(data_dir=tmp_path))
    with runtime.db.session() as s:
        upsert_videos(s, [{"video_id": "7301", "advertiser_name": "Glow <b>Skin</b>"}], NOW)
        upsert_comments(
            s, "7301", [{"comment_id": "c-9", "text": "<script>x</script> glow.shop"}], NOW
        )
        ensure_domains(
            s,
            {"españa-ofertas.es": "xn--espaa-ofertas-lkb.es", "glow.shop": "glow.shop"},
            NOW,
            frozenset(),
        )
    yield create_app(runtime, start_engine=False)
    await runtime.aclose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


async def test_results_are_grouped_by_kind_and_escaped(client: httpx.AsyncClient) -> None:
    res = await client.get("/search", params={"q": "glow"}, headers=HTML)
    assert res.status_code == 200
    body = res.text
    for table in ("hit-domains", "hit-advertisers", "hit-comments"):
        assert f'id="{table}"' in body, table
    assert 'id="hit-videos"' not in body
    assert 'href="/domains/glow.shop"' in body
    assert "<script>x</script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
    assert "Glow &lt;b&gt;Skin&lt;/b&gt;" in body


async def test_a_domain_is_found_by_its_punycode(client: httpx.AsyncClient) -> None:
    res = await client.get("/search", params={"q": "xn--espaa-ofertas-lkb.es"}, headers=HTML)
    assert res.status_code == 200 and 'id="hit-domains"' in res.text
    assert "españa-ofertas.es" in res.text
    video = await client.get("/search", params={"q": "7301"}, headers=HTML)
    assert 'href="/videos/7301"' in video.text


async def test_nothing_found_is_a_404_page_and_a_long_query_is_refused(
    client: httpx.AsyncClient,
) -> None:
    res = await client.get("/search", params={"q": "zz-none"}, headers=HTML)
    assert res.status_code == 404 and "Nothing matches zz-none" in res.text
    long = await client.get("/search", params={"q": "x" * 101}, headers=HTML)
    assert long.status_code == 422 and "<html" in long.text.lower()
    empty = await client.get("/search", headers=HTML)
    assert empty.status_code == 200 and "either spelling" in empty.text
