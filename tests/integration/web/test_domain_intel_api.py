"""The domain list's sorts, filters and signals through the JSON API and the page."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.store.clock import utcnow
from harvester.store.comments import upsert_comments
from harvester.store.mentions import MentionRow, record_mentions
from harvester.store.videos import upsert_videos
from harvester.web.app import create_app
from tests.one_day import one_day


def _m(cid: str, vid: str, domain: str) -> MentionRow:
    return MentionRow(cid, vid, domain, domain, domain, domain, None, 0, 3, False, False, 0.9)


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    with one_day():  # seeded "today", read back as today
        async for c in _client(tmp_path):
            yield c


async def _client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(build_runtime(Settings(data_dir=tmp_path)), start_engine=False)
    now = utcnow()
    with app.state.runtime.db.session() as s:
        upsert_videos(s, [{"video_id": f"v{i}", "advertiser_name": f"A{i}"} for i in range(4)], now)
        for i in range(4):
            upsert_comments(
                s, f"v{i}", [{"comment_id": f"c{i}{j}", "text": "x"} for j in range(3)], now
            )
        # wide.shop: 4 advertisers, 1 mention each; deep.com: 3 mentions, one video; bit.ly.
        rows = [_m(f"c{i}0", f"v{i}", "wide.shop") for i in range(4)]
        rows += [
            _m("c01", "v0", "deep.com"),
            _m("c02", "v0", "deep.com"),
            _m("c11", "v1", "bit.ly"),
        ]
        rows += [_m(f"c{i}2", f"v{i}", "deep.com") for i in (1,)]
        record_mentions(s, rows, now)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c
    await app.state.runtime.aclose()


async def _names(c: httpx.AsyncClient, **params: object) -> list[str]:
    res = await c.get("/api/v1/domains", params=params)
    assert res.status_code == 200, res.text
    return [d["name"] for d in res.json()["data"]]


async def test_sort_and_filter_by_what_analysts_judge(client: httpx.AsyncClient) -> None:
    assert (await _names(client, sort="advertisers"))[0] == "wide.shop"
    assert (await _names(client, sort="mentions"))[0] == "wide.shop"
    assert await _names(client, min_advertisers=2, sort="mentions") == ["wide.shop", "deep.com"]
    assert await _names(client, kind="shortener") == ["bit.ly"]
    assert await _names(client, pushed="true") == ["wide.shop"]
    body = (await client.get("/api/v1/domains", params={"sort": "videos", "limit": 1})).json()
    top = body["data"][0]
    assert (top["name"], top["video_count"], top["advertiser_count"]) == ("wide.shop", 4, 4)
    assert {"pushed", "new_today"} <= set(top["signals"])
    assert body["next_offset"] == 1 and body["next_after"] is None
    second = await _names(client, sort="videos", limit=1, offset=1)
    assert second == ["deep.com"]


async def test_bad_filters_say_what_is_wrong(client: httpx.AsyncClient) -> None:
    res = await client.get("/api/v1/domains", params={"sort": "popularity"})
    assert res.status_code == 422 and "sort" in res.text
    res = await client.get("/api/v1/domains", params={"since": "2026-12-02", "until": "2026-12-01"})
    assert res.status_code == 422 and "swap" in res.text


async def test_export_and_page_carry_the_signals(client: httpx.AsyncClient) -> None:
    res = await client.get("/api/v1/domains", params={"format": "csv", "sort": "advertisers"})
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert rows[0]["name"] == "wide.shop" and "pushed" in rows[0]["signals"]
    assert rows[0]["advertiser_count"] == "4"
    page = await client.get("/domains", params={"sort": "advertisers", "pushed": "true"})
    assert page.status_code == 200
    assert "wide.shop" in page.text and "deep.com" not in page.text
    assert 'class="badge sig sig-pushed"' in page.text
    assert "/api/v1/domains?format=csv&sort=advertisers&amp;pushed=true" in page.text
    detail = await client.get("/domains/bit.ly")
    assert detail.status_code == 200 and "kind-shortener" in detail.text


async def test_the_day_report_in_the_api_and_the_dashboard(client: httpx.AsyncClient) -> None:
    day = utcnow().date().isoformat()
    body = (await client.get("/api/v1/report", params={"day": day})).json()
    assert body["day"] == day and {d["name"] for d in body["new"]} == {
        "wide.shop",
        "deep.com",
        "bit.ly",
    }
    wide = next(d for d in body["new"] if d["name"] == "wide.shop")
    assert wide["evidence"]["advertisers"] == ["A0", "A1", "A2", "A3"]
    csv_res = await client.get("/api/v1/report", params={"day": day, "format": "csv"})
    assert csv_res.headers["content-disposition"] == f"attachment; filename=report-{day}.csv"
    assert csv_res.text.splitlines()[0].startswith("section,domain,")
    page = await client.get("/report", params={"day": day})
    assert page.status_code == 200 and "wide.shop" in page.text and "A3" in page.text
    bad = await client.get("/report", params={"day": "yesterday"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text


@pytest.mark.parametrize("value", ["²", "-1", "1e3", "9" * 12, "x"])
async def test_minimum_counts_must_be_plain_numbers(client: httpx.AsyncClient, value: str) -> None:
    res = await client.get("/api/v1/domains", params={"min_videos": value})
    assert res.status_code == 422 and "min_videos" in res.text
