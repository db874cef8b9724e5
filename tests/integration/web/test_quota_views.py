"""The daily quota where people look: the overview card, /metrics, the health check."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from harvester.clock import FakeClock, installed_as
from harvester.jobs.functions.health import check_and_record, quota_problems
from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.store.health import latest_health
from harvester.web.app import create_app
from tests.one_day import DAY, NEXT_MIDNIGHT

pytestmark = pytest.mark.timedep


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    """Noon UTC of the suite's day, standing still: 12 h before the reset."""
    c = FakeClock(DAY)
    with installed_as(c):
        yield c


@pytest.fixture
async def app(tmp_path: Path, clock: FakeClock) -> AsyncIterator[FastAPI]:
    runtime = build_runtime(
        Settings(data_dir=tmp_path, quota_requests_per_day=40, quota_records_per_day=100_000)
    )
    a = create_app(runtime, start_engine=False)
    for _ in range(37):
        await runtime.guard.quota.spend_request("research")
    await runtime.guard.quota.spend_records("research", 420)
    yield a
    await runtime.aclose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


async def test_overview_shows_quota_used_left_and_reset(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    card = html[html.index('id="quota-card"') :][:600]
    assert 'id="quota-left">3<' in card
    assert "37 / 40 used" in card and "420 / 100000 records" in card
    assert "00:00 UTC" in card


async def test_metrics_export_the_quota_gauges(client: httpx.AsyncClient) -> None:
    text = (await client.get("/metrics")).text
    assert 'harvester_quota_used{api="research",unit="requests"} 37.0' in text
    assert 'harvester_quota_limit{api="research",unit="requests"} 40.0' in text
    assert 'harvester_quota_used{api="commercial",unit="requests"} 0.0' in text
    assert "harvester_quota_reset_timestamp_seconds" in text


async def test_health_check_reports_the_quota(app: FastAPI) -> None:
    out = await check_and_record(app.state.runtime.deps)
    with app.state.runtime.db.session() as s:
        row = latest_health(s)
    assert row is not None
    q = row["detail"]["quota"]["research"]
    assert (q["used_requests"], q["left_requests"]) == (37, 3)
    assert q["seconds_to_reset"] == pytest.approx(12 * 3600)
    assert any("research quota nearly spent" in p for p in out["problems"])


async def test_health_check_is_quiet_about_the_quota_in_the_days_last_hour(
    app: FastAPI, clock: FakeClock
) -> None:
    clock.set(NEXT_MIDNIGHT - timedelta(minutes=30))  # spending the rest now is the plan
    out = await check_and_record(app.state.runtime.deps)
    assert not any("quota" in p for p in out["problems"]), out["problems"]
    clock.advance(31 * 60)  # a new UTC day: a fresh budget
    await check_and_record(app.state.runtime.deps)
    with app.state.runtime.db.session() as s:
        row = latest_health(s)
    assert row is not None and row["detail"]["quota"]["research"]["left_requests"] == 40


def _q(left: int, to_reset: float, limit: int = 1000) -> dict[str, object]:
    return {
        "left_requests": left,
        "limit_requests": limit,
        "left_records": 100_000,
        "limit_records": 100_000,
        "seconds_to_reset": to_reset,
    }


def test_nearly_spent_quota_warns_only_well_before_the_reset() -> None:
    assert quota_problems({"research": _q(50, 5 * 3600)})[0].startswith(
        "research quota nearly spent: 50 of 1000 requests"
    )
    assert quota_problems({"research": _q(50, 1800)}) == []  # the day's end: as planned
    assert quota_problems({"research": _q(500, 5 * 3600)}) == []
    assert quota_problems({"commercial": _q(0, 20 * 3600)})[0].startswith("commercial")
