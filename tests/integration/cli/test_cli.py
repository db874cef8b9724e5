"""The CLI as a script would use it: exit codes, JSON output, real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli import app
from harvester.settings import get_settings
from harvester.tiktok.capabilities import quota_client_key
from tests.free_port import free_port
from tests.one_day import one_day

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HARVESTER_REGIONS", "FR")
    monkeypatch.setenv("HARVESTER_PORT", str(free_port()))  # no server answers: files
    get_settings.cache_clear()
    with one_day():  # the simulated world's ads depend on the day and the hour
        yield {}
    get_settings.cache_clear()


def test_once_then_runs_run_and_domains(env: dict[str, str]) -> None:
    res = runner.invoke(app, ["once", "--json", "--data", '{"regions": ["FR"], "limit": 3}'])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["videos"] == 3 and summary["comments"] > 0 and summary["failures"] == 0
    runs = json.loads(runner.invoke(app, ["runs", "--format", "json", "--limit", "100"]).stdout)
    assert {r["status"] for r in runs} == {"COMPLETED"}
    one = runner.invoke(app, ["run", runs[0]["run_id"]], env={"COLUMNS": "200"})
    assert one.exit_code == 0 and "COMPLETED" in one.stdout
    doms = json.loads(runner.invoke(app, ["domains", "--format", "json"]).stdout)
    assert len(doms) == min(50, summary["domains"])


def test_kill_switch_round_trip(env: dict[str, str]) -> None:
    assert "ON" in runner.invoke(app, ["kill-switch", "on", "--reason", "test"]).stdout
    assert "ON — test" in runner.invoke(app, ["kill-switch", "status"]).stdout
    assert "off" in runner.invoke(app, ["kill-switch", "off"]).stdout
    assert runner.invoke(app, ["kill-switch", "maybe"]).exit_code == 2


def test_usage_and_failure_exit_codes(env: dict[str, str]) -> None:
    assert runner.invoke(app, ["run", "nope"]).exit_code == 1
    assert runner.invoke(app, ["send", "x/y", "--data", "[1]"]).exit_code == 2
    down = runner.invoke(app, ["send", "x/y", "--url", "http://127.0.0.1:1"])
    assert down.exit_code == 1 and "harvester up" in down.output
    assert runner.invoke(app, ["once", "--data", "{bad"]).exit_code == 2
    assert runner.invoke(app, ["domains", "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["dlq", "replay"]).exit_code == 2


def test_doctor_shows_todays_quota(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from harvester.guard.quota import make_ledger
    from harvester.store import Database, upgrade

    monkeypatch.setenv("HARVESTER_QUOTA_REQUESTS_PER_DAY", "5")
    get_settings.cache_clear()
    settings = get_settings()
    db = Database(settings.effective_database_url)
    upgrade(db)
    ledger = make_ledger(db, None, quota_client_key(settings), 5)
    for _ in range(5):
        asyncio.run(ledger.spend_request("research"))
    db.dispose()
    res = runner.invoke(app, ["doctor"], env={"COLUMNS": "300"})
    assert "research 5/5 requests" in res.output and "commercial 0/5 requests" in res.output
    assert "resets 00:00 UTC" in res.output
    assert "research quota spent: harvests wait for the reset" in res.output
