"""`run`, `domains`, `dlq` and `kill-switch` as scripts use them, with no server running."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli import app
from harvester.jobs.events import HARVEST_REQUESTED
from harvester.kernel.export_columns import DOMAIN_EXPORT_COLUMNS
from harvester.settings import get_settings
from harvester.store import Database, upgrade
from harvester.store.job_runs import add_dead_letter
from tests.cycle_data import small_cycle
from tests.free_port import free_port

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One real discovery cycle on the simulator, shared by the module's tests."""
    with small_cycle(tmp_path_factory.mktemp("cli")) as path:
        yield path


@pytest.fixture
def env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HARVESTER_REGIONS", "FR")
    monkeypatch.setenv("HARVESTER_PORT", str(free_port()))  # no server answers: files
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


def test_run_shows_the_timeline_and_json(env: Path) -> None:
    runs = json.loads(runner.invoke(app, ["runs", "--format", "json", "--limit", "50"]).stdout)
    extract = next(r for r in runs if r["fn_id"].endswith("extract-domains"))
    res = runner.invoke(app, ["run", extract["run_id"]], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "COMPLETED" in res.stdout and "extract" in res.stdout
    assert "█" in res.stdout  # the waterfall bar
    narrow = runner.invoke(app, ["run", extract["run_id"]], env={"COLUMNS": "80"})
    bars = [line for line in narrow.stdout.splitlines() if "│" in line and "█" in line]
    assert len(bars) >= 2 and all(len(line) <= 80 and "…" not in line for line in bars)
    assert any(line.startswith("extract") and line.rstrip().endswith(" ms") for line in bars)
    as_json = json.loads(runner.invoke(app, ["run", extract["run_id"], "--json"]).stdout)
    assert as_json["steps"][0]["name"] == "extract"
    missing = runner.invoke(app, ["run", "nope"])
    assert missing.exit_code == 1 and "harvester runs" in missing.output


def test_domains_formats(env: Path) -> None:
    as_json = json.loads(runner.invoke(app, ["domains", "--format", "json", "--all"]).stdout)
    assert as_json and {"name", "mention_count", "first_seen_at"} <= set(as_json[0])
    limited = json.loads(runner.invoke(app, ["domains", "--format", "json", "--limit", "3"]).stdout)
    assert len(limited) == min(3, len(as_json))
    rows = list(
        csv.reader(io.StringIO(runner.invoke(app, ["domains", "--format", "csv", "--all"]).stdout))
    )
    assert rows[0] == list(DOMAIN_EXPORT_COLUMNS)  # the dashboard's export's columns
    assert {"video_count", "advertiser_count", "signals"} <= set(rows[0])
    assert len(rows) == len(as_json) + 1
    new = json.loads(
        runner.invoke(app, ["domains", "--new-today", "--format", "json", "--all"]).stdout
    )
    assert len(new) == len(as_json)  # the cycle ran today
    table = runner.invoke(app, ["domains", "--limit", "2"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and as_json[0]["name"] in table.stdout
    bad = runner.invoke(app, ["domains", "--format", "xml"])
    assert bad.exit_code == 2 and "table, json, csv" in bad.output


def test_dlq_list_and_replay_without_a_server(env: Path) -> None:
    db = Database(get_settings().effective_database_url)
    upgrade(db)
    with db.session() as s:
        event = {"name": HARVEST_REQUESTED, "data": {"video_id": "v-x", "window": "w"}}
        add_dead_letter(
            s, "tiktok-harvester-harvest-comments", "run-cli-1", event, {"message": "boom"}, 4
        )
    db.dispose()
    listed = json.loads(runner.invoke(app, ["dlq", "--format", "json"]).stdout)
    dl = next(x for x in listed if x["run_id"] == "run-cli-1")
    assert dl["status"] == "pending"
    assert runner.invoke(app, ["dlq", "replay"]).exit_code == 2
    assert runner.invoke(app, ["dlq", "replay", "1", "--all"]).exit_code == 2
    res = runner.invoke(app, ["dlq", "replay", str(dl["id"])])
    assert res.exit_code == 0 and "replayed 1" in res.stdout
    again = runner.invoke(app, ["dlq", "replay", "--all"])
    assert again.exit_code == 1 and "nothing replayed" in again.output
    runs = json.loads(runner.invoke(app, ["runs", "--format", "json", "--status", "QUEUED"]).stdout)
    assert any(r["fn_id"].endswith("harvest-comments") for r in runs)  # queued for the server


def test_kill_switch(env: Path) -> None:
    on = runner.invoke(app, ["kill-switch", "on", "--reason", "maintenance"])
    assert on.exit_code == 0 and "ON — maintenance" in on.stdout
    assert "ON — maintenance" in runner.invoke(app, ["kill-switch", "status"]).stdout
    off = runner.invoke(app, ["kill-switch", "off"])
    assert off.exit_code == 0 and "off" in off.stdout
    bad = runner.invoke(app, ["kill-switch", "maybe"])
    assert bad.exit_code == 2 and "on|off|status" in bad.output
