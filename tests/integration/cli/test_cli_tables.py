"""CLI tables: the terminal's width on a terminal, never cut when piped; `runs` prints
each run's date with its time (UTC)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli import app
from harvester.cli.terminal import PIPED_WIDTH, stdout_console
from harvester.settings import get_settings
from tests.cycle_data import small_cycle
from tests.free_port import free_port

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with small_cycle(tmp_path_factory.mktemp("tables")) as path:
        yield path


@pytest.fixture
def offline(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HARVESTER_PORT", str(free_port()))
    monkeypatch.delenv("COLUMNS", raising=False)
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


def test_a_pipe_gets_an_uncut_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert stdout_console().width == PIPED_WIDTH  # pytest's stdout is no terminal
    monkeypatch.setenv("COLUMNS", "132")
    assert stdout_console().width == 132


def test_piped_runs_are_whole_rows_with_dates_and_times(offline: Path) -> None:
    runs = json.loads(runner.invoke(app, ["runs", "--format", "json"]).stdout)
    assert runs, "the cycle made runs"
    res = runner.invoke(app, ["runs"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert "event" in lines[0] and "created (UTC)" in lines[0]  # no column dropped
    assert "…" not in res.stdout
    for r in runs:
        created = datetime.fromtimestamp(float(r["created_at"]), UTC)
        row = next(line for line in lines if str(r["run_id"]) in line)
        assert created.strftime("%Y-%m-%d %H:%M:%S") in row
        assert str(r["event_name"] or "") in row


def test_a_wide_terminal_is_used_whole(offline: Path) -> None:
    res = runner.invoke(app, ["runs"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    assert "event" in res.stdout.splitlines()[0]
    assert max(len(line) for line in res.stdout.splitlines()) <= 200
