"""The JSON API over a real database: pages, exports, operations, schema fuzzing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from harvester.jobs.events import HARVEST_REQUESTED
from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.store.alerts import add_alert
from harvester.store.clock import utcnow
from harvester.store.comments import upsert_comments
from harvester.store.job_runs import add_dead_letter
from harvester.store.mentions import MentionRow, record_mentions
from harvester.store.states import Severity
from harvester.store.videos import upsert_videos
from harvester.web.app import create_app
from tests.one_day import one_day

HOSTILE = "<script>alert(1)</script> =cmd|' /C calc'!A0 buy at evil-shop.com"


def _app(tmp_path: Path, **kw: Any) -> FastAPI:
    runtime = build_runtime(Settings(data_dir=tmp_path, **kw))
    return create_app(runtime, start_engine=False)


def seed(app: FastAPI, n_domains: int = 120) -> None:
    """Videos, comments, domains with mentions, a dead letter and an alert."""
    db = app.state.runtime.db
    now = utcnow()
    with db.session() as s:
        upsert_videos(
            s, [{"video_id": "v1", "advertiser_name": "Acme", "url": "javascript:x"}], now
        )
        rows = [
            {"comment_id": f"c{i:04d}", "text": f"see site{i}.com now"} for i in range(n_domains)
        ]
        upsert_comments(s, "v1", [*rows, {"comment_id": "h1", "text": HOSTILE}], now)
        mentions = [_mention(f"c{i:04d}", f"site{i}.com", 4) for i in range(n_domains)]
        start = HOSTILE.index("evil-shop.com")
        record_mentions(s, mentions, now)
        record_mentions(s, [_mention("h1", "evil-shop.com", start)], now - timedelta(1))
        add_dead_letter(
            s, "fn", "run-1", {"name": HARVEST_REQUESTED, "data": {"video_id": "v1"}}, {}, 4
        )
        add_alert(s, "k", Severity.CRITICAL, "breaker open", {"endpoint": "comment/list"})


def _mention(comment_id: str, host: str, start: int) -> MentionRow:
    return MentionRow(
        comment_id=comment_id,
        video_id="v1",
        domain=host,
        ascii_domain=host,
        host=host,
        matched=host,
        url=None,
        span_start=start,
        span_end=start + len(host),
        obfuscated=False,
        email=False,
        confidence=0.9,
    )


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    with one_day():  # seeded "today", read back as today
        a = _app(tmp_path)
        seed(a)
        yield a
        await a.state.runtime.aclose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


async def test_openapi_documents_the_harvester_and_run_apis(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for p in (
        "/api/v1/overview",
        "/api/v1/domains",
        "/api/v1/domains/{name}",
        "/api/v1/videos/{video_id}",
        "/api/v1/comments",
        "/api/v1/dead-letters/{dl_id}/replay",
        "/api/v1/kill-switch",
        "/api/v1/health",
        "/api/v1/runs",  # the engine's runs, through its face
    ):
        assert p in paths, p
    assert not any(p in paths for p in ("/", "/runs", "/admin"))  # pages stay out


async def test_domains_page_by_keyset_until_the_end(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 50, **({"after": after} if after else {})}
        body = (await client.get("/api/v1/domains", params=params)).json()
        seen += [d["name"] for d in body["data"]]
        assert body["total"] == 121
        after = body["next_after"]
        if after is None:
            break
    assert len(seen) == len(set(seen)) == 121


async def test_exports_stream_every_match(client: httpx.AsyncClient) -> None:
    res = await client.get("/api/v1/domains", params={"format": "csv", "q": "site1"})
    assert res.headers["content-disposition"] == "attachment; filename=domains.csv"
    rows = list(csv.reader(io.StringIO(res.text)))
    assert rows[0][0] == "name" and len(rows) == 1 + 1 + 10 + 20  # header, site1, site1x, site1xx
    res = await client.get("/api/v1/domains", params={"format": "json", "new_today": "1"})
    assert len(json.loads(res.text)) == 120  # the hostile one was first seen yesterday
    assert (await client.get("/api/v1/domains", params={"format": "xml"})).status_code == 422


async def test_domain_detail_has_spans_videos_and_days(client: httpx.AsyncClient) -> None:
    d = (await client.get("/api/v1/domains/evil-shop.com")).json()
    m = d["mentions"][0]
    assert m["text"][m["span_start"] : m["span_end"]] == "evil-shop.com"
    assert d["videos"] == [{"video_id": "v1", "advertiser": "Acme", "mentions": 1}]
    assert len(d["days"]) >= 14 and sum(x["mentions"] for x in d["days"]) == 1
    assert (await client.get("/api/v1/domains/nope.example")).status_code == 404


async def test_comments_carry_their_mention_spans(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/comments", params={"q": "<script>"})).json()
    assert [c["domains"] for c in body["data"]] == [["evil-shop.com"]]
    only = (await client.get("/api/v1/comments", params={"with_domains": True})).json()
    assert len(only["data"]) == 50 and only["next_after"]


async def test_overview_series_and_guard(client: httpx.AsyncClient) -> None:
    o = (await client.get("/api/v1/overview", params={"days": 7})).json()
    assert o["domains"] == 121 and o["new_domains_today"] == 120 and o["dead_letters"] == 1
    assert len(o["series"]) == 7 and o["series"][-1]["new_domains"] == 120
    assert o["guard"]["kill_switch"]["on"] is False


async def test_kill_switch_and_dead_letter_replay(client: httpx.AsyncClient) -> None:
    res = await client.post("/api/v1/kill-switch", json={"on": True, "reason": "test"})
    assert res.json()["on"] is True and res.json()["reason"] == "test"
    assert (await client.get("/api/v1/kill-switch")).json()["by"] == "api"
    await client.post("/api/v1/kill-switch", json={"on": False})
    assert (await client.post("/api/v1/dead-letters/999/replay")).status_code == 404
    assert (await client.post("/api/v1/dead-letters/replay")).json() == {"replayed": 1}
    letters = (await client.get("/api/v1/dead-letters", params={"status": "replayed"})).json()
    assert [x["replay_count"] for x in letters["data"]] == [1]
    alerts = (await client.get("/api/v1/alerts", params={"severity": "critical"})).json()
    assert alerts["data"][0]["message"] == "breaker open"


async def test_cross_site_writes_are_refused(client: httpx.AsyncClient) -> None:
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        res = await client.post("/api/v1/dead-letters/replay", headers=headers)
        assert res.status_code == 403, headers
    same = await client.post(
        "/api/v1/kill-switch", json={"on": False}, headers={"Origin": "http://127.0.0.1"}
    )
    assert same.status_code == 200


def test_schemathesis_finds_no_server_errors(tmp_path: Path) -> None:
    import schemathesis
    from schemathesis.checks import not_a_server_error

    app = _app(tmp_path)
    seed(app, n_domains=5)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        op = result.ok()
        if not op.path.startswith("/api/v1/") or op.path.startswith(("/api/v1/runs", "/api/v1/f")):
            continue  # the run API over the engine is tested with the engine

        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def check(case: Any) -> None:
            response = case.call()
            case.validate_response(response, checks=(not_a_server_error,))

        try:
            check()
        except Exception as exc:  # collect all, report together
            failures.append(f"{op.method} {op.path}: {str(exc)[:400]}")
    assert not failures, "\n".join(failures)
