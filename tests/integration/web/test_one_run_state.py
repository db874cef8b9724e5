"""One run state: three runs of a function fail, and the health check, the overview
(``/api`` and the page), ``harvester status`` and ``/metrics`` all count them from the
engine's runs, with one failure rate; a stale app job row changes none of them."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from harvester.cli import app as cli
from harvester.engine import RunStatus
from harvester.jobs.events import HARVEST_REQUESTED
from harvester.jobs.functions.health import check_and_record
from harvester.jobs.run_outcomes import DAY, HOUR, run_outcomes
from harvester.runtime import Runtime, build_runtime
from harvester.settings import Settings, get_settings
from harvester.sim.tiktok import create_app as create_sim_app
from harvester.store.job_runs import set_job_status
from harvester.store.states import JobState
from harvester.web.app import create_app
from tests.free_port import free_port

FAST_ENGINE = {"retry_base_delay": 0.05, "fire_crons": False}
# Fails its run at once (NonRetriableError): the harvest refuses a malformed video id.
BAD_HARVEST = {"name": HARVEST_REQUESTED, "data": {"video_id": "not an id!", "window": "w"}}


@pytest.fixture
async def served(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Runtime, FastAPI]]:
    """A started runtime and its web app; the CLI's settings point at the same files
    (on Postgres, the app and the engine share one database) and no server answers."""
    shared = {} if database_url.startswith("sqlite") else {"database_url": database_url}
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HARVESTER_PORT", str(free_port()))
    monkeypatch.delenv("INNGEST_BASE_URL", raising=False)
    if shared:
        monkeypatch.setenv("DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    sim = httpx.ASGITransport(app=create_sim_app(seed=7))
    runtime = build_runtime(
        Settings(data_dir=tmp_path, **shared), engine_config=FAST_ENGINE, source_transport=sim
    )
    app = create_app(runtime)
    try:
        async with app.router.lifespan_context(app):
            yield runtime, app
    finally:
        await runtime.aclose()
        get_settings.cache_clear()


def _metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _engine_failed_total() -> float:
    return sum(
        s.value
        for family in REGISTRY.collect()
        if family.name == "engine_runs_finished"
        for s in family.samples
        if s.name == "engine_runs_finished_total" and s.labels.get("status") == "FAILED"
    )


async def test_three_failed_runs_read_the_same_everywhere(
    served: tuple[Runtime, FastAPI],
) -> None:
    runtime, app = served
    engine = runtime.engine
    assert engine is not None
    failed_before = _engine_failed_total()
    await runtime.send_events([BAD_HARVEST] * 3)
    await engine.wait_for_idle(timeout=60)
    with runtime.db.session() as s:  # an app row that says "failed" for no run at all
        set_job_status(s, "ghost-run", "harvest-comments", JobState.FAILED, "page-0", None)

    # The truth: the engine's runs (the failure handler completed one run per failure).
    runs = engine.list_runs(limit=100).data
    failed = [r for r in runs if r.status == RunStatus.FAILED]
    completed = [r for r in runs if r.status == RunStatus.COMPLETED]
    assert len(failed) == 3 and all(r.fn_id.endswith("harvest-comments") for r in failed)
    assert completed, "each failure starts a failure-handler run"
    assert _engine_failed_total() - failed_before == 3
    rate = round(3 / (3 + len(completed)), 4)

    # The health check (its own row: the dashboard and /api/v1/health show it).
    checked = await check_and_record(runtime.deps)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        health = (await c.get("/api/v1/health")).json()["latest"]
        overview = (await c.get("/api/v1/overview")).json()
        page = html.unescape((await c.get("/")).text)
        scraped = _metrics((await c.get("/metrics")).text)
    hour = health["detail"]["runs"]
    assert (hour["failed"], hour["failure_rate"]) == (3, rate)
    assert hour["by_status"] == {"COMPLETED": len(completed), "FAILED": 3}
    assert checked["status"] == health["status"] == ("critical" if rate >= 0.5 else "info")

    # The overview, as JSON and as the page.
    assert overview["runs_24h"] == hour["by_status"]
    assert overview["success_rate"] == round(1 - rate, 4)
    assert sum(p["runs_failed"] for p in overview["series"]) == 3
    assert sum(p["runs_completed"] for p in overview["series"]) == len(completed)
    runs_cell = re.search(r'id="runs-24h">([^<]*)<', page)
    assert runs_cell is not None and "FAILED 3" in runs_cell.group(1)
    assert f'id="success-rate">{(1 - rate) * 100:.1f}%<' in page

    # harvester status, reading the files as a script does with no server running.
    res = CliRunner().invoke(cli, ["status", "--format", "json"])
    assert res.exit_code == 0, res.output
    status = json.loads(res.stdout)
    assert status["failed_24h"] == 3 and status["runs_24h"] == hour["by_status"]
    assert status["success_rate"] == overview["success_rate"]
    assert status["health"]["detail"]["runs"]["failure_rate"] == rate
    table = CliRunner().invoke(cli, ["status"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "FAILED 3" in table.stdout, table.output

    # Prometheus, read at the scrape from the same runs.
    for window in ("1h", "24h"):
        assert scraped[("harvester_runs", (("status", "FAILED"), ("window", window)))] == 3
        assert scraped[("harvester_runs_failure_ratio", (("window", window),))] == rate
    assert scraped[("harvester_pipeline_success_ratio", ())] == round(1 - rate, 4)


async def test_the_windows_are_the_engines_time_not_the_app_rows(
    served: tuple[Runtime, FastAPI],
) -> None:
    runtime, _app = served
    engine = runtime.engine
    assert engine is not None
    await runtime.send_events([BAD_HARVEST])
    await engine.wait_for_idle(timeout=60)
    now = engine.cfg.clock()
    assert run_outcomes(engine, HOUR, now).failed == 1
    # Two hours on, the run has left the health check's hour but not the day; a day
    # and more on, it has left both (relative to the engine's clock, any date).
    assert run_outcomes(engine, HOUR, now + 2 * HOUR).failed == 0
    assert run_outcomes(engine, DAY, now + 2 * HOUR).failed == 1
    later = run_outcomes(engine, DAY, now + DAY + 1)
    assert later.failed == 0 and later.failure_rate is None
