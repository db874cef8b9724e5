"""The first page answers: today's top 10 domains by comments with the change against
yesterday, the collection card, and "Collect now" (CSRF-checked) leading to the run's
summary with the reason when it found nothing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from harvester.clock import utcnow
from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.sim.tiktok import create_app as create_sim_app
from harvester.store.comments import upsert_comments
from harvester.store.mentions import MentionRow, record_mentions
from harvester.store.top_domains import top_domains
from harvester.store.videos import upsert_videos
from harvester.web.app import create_app
from harvester.web.dashboard.collect import next_due, summary_of
from tests.one_day import one_day


@pytest.fixture(autouse=True)
def _one_day() -> Iterator[None]:
    with one_day():
        yield


def _mention(cid: str, host: str) -> MentionRow:
    return MentionRow(
        cid,
        "v1",
        host,
        host.encode("idna").decode(),
        host,
        host,
        None,
        0,
        len(host),
        False,
        False,
        0.9,
    )


def _seed(app: FastAPI) -> None:
    """Twelve domains today (domain k in k comments), b.com twice yesterday too."""
    now = utcnow()
    with app.state.runtime.db.session() as s:
        upsert_videos(s, [{"video_id": "v1", "advertiser_name": "Acme"}], now)
        rows, today, yesterday = [], [], []
        for k in range(1, 13):
            host = f"d{k:02d}.com"
            for j in range(k):
                rows.append({"comment_id": f"c{k}-{j}", "text": f"see {host}"})
                today.append(_mention(f"c{k}-{j}", host))
        rows += [{"comment_id": f"y{j}", "text": "see d12.com"} for j in range(20)]
        yesterday = [_mention(f"y{j}", "d12.com") for j in range(20)]
        upsert_comments(s, "v1", rows, now)
        record_mentions(s, yesterday, now - timedelta(days=1))
        record_mentions(s, today, now)


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    runtime = build_runtime(
        Settings(data_dir=tmp_path, regions="FR"),
        engine_config={"fire_crons": False},
        source_transport=httpx.ASGITransport(app=create_sim_app(seed=3)),
    )
    app = create_app(runtime)
    _seed(app)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            yield c
    await runtime.aclose()


def test_top_domains_are_todays_ten_most_commented_with_yesterday(tmp_path: Path) -> None:
    runtime = build_runtime(Settings(data_dir=tmp_path))
    app = create_app(runtime, start_engine=False)
    _seed(app)
    with runtime.db.session() as s:
        top = top_domains(s, utcnow().date())
    assert [d.name for d in top] == [f"d{k:02d}.com" for k in range(12, 2, -1)]
    assert (top[0].today, top[0].yesterday, top[0].change) == (12, 20, -8)
    assert top[1].first_seen_today and not top[0].first_seen_today


async def test_the_overview_shows_them_and_the_collection_card(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    table = html.split('id="top-domains"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 11  # the header and ten domains
    assert 'href="/domains/d12.com"' in table and "-8" in table and "d02.com" not in table
    assert 'id="collection-card"' in html and 'id="collect-now"' in html
    assert "no discovery run yet" in html


async def test_collect_now_needs_the_csrf_token(client: httpx.AsyncClient) -> None:
    res = await client.post("/collect", data={"csrf": "forged"})
    assert res.status_code == 403


async def test_collect_now_sends_discovery_and_shows_its_run(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    token = re.search(r'name="csrf" value="([^"]+)"', html)
    assert token is not None
    res = await client.post("/collect", data={"csrf": token.group(1)})
    assert res.status_code == 303 and res.headers["location"].startswith("/collect?since=")
    # The event starts its run a moment later: wait for it (bounded), as the page does.
    for _ in range(100):
        runs = (await client.get("/api/v1/runs", params={"fn": "discover-videos"})).json()["data"]
        if runs:
            break
        await asyncio.sleep(0.05)
    assert len(runs) == 1
    page = (await client.get(res.headers["location"])).text
    assert 'id="collect-summary"' in page and runs[0]["run_id"] in page


def test_the_summary_says_why_nothing_was_found() -> None:
    def done(**out: int) -> dict[str, object]:
        return {"status": "COMPLETED", "output": out}

    line, reason = summary_of(done(ads=3, videos=2, harvests_requested=0), False, 24)
    assert line == "ads 3 · videos 2 · harvests requested 0"
    assert reason is not None and "nothing new since the last cycle" in reason
    assert "kill switch" in (summary_of(done(ads=0, videos=0), True, 24)[1] or "")
    assert "no ads" in (summary_of(done(ads=0, videos=0), False, 24)[1] or "")
    assert "linked" in (summary_of(done(ads=2, videos=0), False, 24)[1] or "")
    assert summary_of(done(ads=2, videos=2, harvests_requested=2), False, 24)[1] is None
    failed = {"status": "FAILED", "error": {"message": "quota spent"}}
    assert summary_of(failed, False, 24)[0] == "failed: quota spent"


def test_the_next_cycle_is_the_next_ten_minute_mark() -> None:
    assert next_due(1_000_000_000.0) == 1_000_000_200.0
    assert next_due(1_000_000_200.0) == 1_000_000_800.0
