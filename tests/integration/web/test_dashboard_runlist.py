"""The runs list as an operator uses it: a custom UTC range, bulk cancel and replay of
ticked runs, cancel-all for one function, and the search box (run or event id)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from harvester.engine import Engine, RunStatus
from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.web.app import create_app
from harvester.web.dashboard.pages_runlist import parse_utc, run_range


def _fn(fn_id: str) -> dict[str, Any]:
    return {
        "id": fn_id,
        "name": fn_id,
        "triggers": [{"event": f"t/{fn_id}"}],
        "steps": {
            "step": {"id": "step", "runtime": {"type": "http", "url": f"http://a/api?fnId={fn_id}"}}
        },
    }


@pytest.fixture
async def dash(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Engine]]:
    """The dashboard over an engine that is not started: runs stay QUEUED."""
    runtime = build_runtime(Settings(data_dir=tmp_path))
    app = create_app(runtime, start_engine=False)
    engine = runtime.engine
    assert engine is not None
    engine.register("http://a/api", "a", [_fn("alpha"), _fn("beta")])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
    ) as client:
        yield client, engine
    engine.close()


async def _csrf(client: httpx.AsyncClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', (await client.get("/runs")).text)
    assert found
    return found.group(1)


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M")


def test_a_custom_range_wins_over_the_window_and_bad_ones_say_why() -> None:
    assert parse_utc("2026-12-01T21:30", "from") == 1796160600.0
    assert run_range("1h", "", "", now=10_000.0).since == 10_000.0 - 3600
    custom = run_range("1h", "2026-12-01T21:30", "2026-12-01T22:00", now=0.0)
    assert (custom.since, custom.until) == (1796160600.0, 1796162400.0)
    assert "not a UTC time" in (run_range("", "yesterday", "", 0.0).error or "")
    assert "empty" in (run_range("", "2026-12-01T22:00", "2026-12-01T21:00", 0.0).error or "")


async def test_the_list_shows_runs_in_a_custom_range_only(
    dash: tuple[httpx.AsyncClient, Engine],
) -> None:
    client, engine = dash
    engine.ingest([{"name": "t/alpha", "data": {}}])
    run = engine.list_runs(fn="alpha").data[0]
    lo, hi = _utc(run.created_at - 60), _utc(run.created_at + 120)
    shown = await client.get("/runs", params={"since": lo, "until": hi})
    assert shown.status_code == 200 and run.run_id in shown.text
    earlier = await client.get("/runs", params={"since": _utc(0), "until": _utc(60)})
    assert run.run_id not in earlier.text and "no runs match" in earlier.text
    bad = await client.get("/runs", params={"since": "soon"})
    assert bad.status_code == 400 and "not a UTC time" in bad.text


async def test_bulk_cancel_and_replay_of_ticked_runs(
    dash: tuple[httpx.AsyncClient, Engine],
) -> None:
    client, engine = dash
    engine.ingest([{"name": "t/alpha", "data": {"n": i}} for i in range(3)])
    ids = [r.run_id for r in engine.list_runs(fn="alpha").data]
    csrf = await _csrf(client)
    form = {"action": "cancel", "run_id": ids[:2], "csrf": csrf, "back": "?fn=alpha"}
    done = await client.post("/runs/bulk", data=form, follow_redirects=True)
    assert done.status_code == 200 and "cancelled 2 of 2 run(s)" in done.text
    assert {engine.get_run(i).status for i in ids[:2]} == {RunStatus.CANCELLED}  # type: ignore[union-attr]
    assert engine.get_run(ids[2]).status is RunStatus.QUEUED  # type: ignore[union-attr]
    again = await client.post("/runs/bulk", data=form, follow_redirects=True)
    assert "cancelled 0 of 2 run(s); 2 had already finished" in again.text

    replay = {"action": "replay", "run_id": ids[:2], "csrf": csrf}
    replayed = await client.post("/runs/bulk", data=replay, follow_redirects=True)
    assert "replayed 2 of 2 run(s) as new runs" in replayed.text
    assert len(engine.list_runs(fn="alpha").data) == 5
    refused = await client.post("/runs/bulk", data={"action": "cancel", "csrf": csrf})
    assert refused.status_code == 400 and "tick at least one run" in refused.text


async def test_cancel_every_unfinished_run_of_one_function(
    dash: tuple[httpx.AsyncClient, Engine],
) -> None:
    client, engine = dash
    engine.ingest([{"name": "t/alpha", "data": {}}, {"name": "t/beta", "data": {}}] * 2)
    csrf = await _csrf(client)
    form = {"fn": "alpha", "window": "1h", "csrf": csrf, "back": "?fn=alpha&evil=1"}
    res = await client.post("/runs/bulk-cancel", data=form)
    assert res.status_code == 303 and "evil" not in res.headers["location"]
    page = await client.get(res.headers["location"])
    assert "cancelled 2 unfinished run(s) of alpha" in page.text
    statuses = {r.fn_id + ":" + r.status for r in engine.list_runs(limit=10).data}
    assert statuses == {"alpha:CANCELLED", "beta:QUEUED"}
    none = await client.post("/runs/bulk-cancel", data={"fn": "", "csrf": csrf})
    assert none.status_code == 400 and "pick a function" in none.text


async def test_search_opens_a_run_by_id_or_prefix_and_shows_an_event(
    dash: tuple[httpx.AsyncClient, Engine],
) -> None:
    client, engine = dash
    [event_id] = engine.ingest([{"name": "t/alpha", "data": {"who": "search"}}])
    run_id = engine.list_runs(fn="alpha").data[0].run_id
    for q in (run_id, run_id[:14], run_id[:14] + "…"):
        res = await client.get("/search", params={"id": q})
        assert res.status_code == 303 and res.headers["location"] == f"/runs/{run_id}", q
    found = await client.get("/search", params={"id": event_id})
    assert found.status_code == 200 and "t/alpha" in found.text and run_id in found.text
    missing = await client.get("/search", params={"id": "zz-nothing"})
    assert missing.status_code == 404 and "Nothing matches zz-nothing" in missing.text


async def test_function_series_counts_what_ended_and_the_page_charts_it(
    dash: tuple[httpx.AsyncClient, Engine],
) -> None:
    client, engine = dash
    engine.ingest([{"name": "t/alpha", "data": {}}] * 3)
    for r in engine.list_runs(fn="alpha").data[:2]:
        engine.cancel(r.run_id)
    body = (await client.get("/api/v1/functions/alpha/series", params={"hours": 24})).json()
    assert body["bucket_seconds"] == 1800 and len(body["series"]) == 48
    assert sum(p["cancelled"] for p in body["series"]) == 2
    assert body["series"][-1]["cancelled"] == 2 and body["series"][0]["cancelled"] == 0
    unknown = await client.get("/api/v1/functions/nope/series")
    assert unknown.status_code == 404 and "not found" in unknown.json()["detail"]
    fn_page = await client.get("/functions/alpha")
    assert fn_page.status_code == 200 and 'data-src="/api/v1/functions/alpha/series' in fn_page.text
    assert "failures: runs failed · cancelled" in fn_page.text


RUN_ROW = re.compile(
    r'<a class="run-link mono" href="/runs/([^"]+)">.*?<td class="fn"><a [^>]+>([^<]+)</a>'
)


async def test_runs_and_events_sort_in_sql_count_and_page(
    dash: tuple[httpx.AsyncClient, Engine],
) -> None:
    client, engine = dash
    engine.ingest([{"name": "t/alpha", "data": {"i": i}} for i in range(20)])
    engine.ingest([{"name": "t/beta", "data": {"i": i}} for i in range(7)])
    up = RUN_ROW.findall((await client.get("/runs?sort=function&dir=asc&size=100")).text)
    down = RUN_ROW.findall((await client.get("/runs?sort=function&dir=desc&size=100")).text)
    assert [fn for _, fn in up] == ["alpha"] * 20 + ["beta"] * 7
    assert down == list(reversed(up))  # the run id breaks ties the same way round
    paged = await client.get("/runs", params={"size": "25", "page": "2"})
    assert "27 runs" in paged.text and len(RUN_ROW.findall(paged.text)) == 2
    assert 'rel="prev"' in paged.text and 'rel="next"' not in paged.text
    bad = await client.get("/runs", params={"sort": "created_at; --"})
    assert bad.status_code == 422 and "created, run, function" in bad.text
    events = await client.get("/events", params={"sort": "name", "dir": "desc", "size": "25"})
    names = re.findall(r'<td class="mono">(t/[a-z]+)<br>', events.text)
    assert names == ["t/beta"] * 7 + ["t/alpha"] * 18 and "27 events" in events.text
    assert (await client.get("/events", params={"sort": "ts"})).status_code == 422
