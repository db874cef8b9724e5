"""The small pure parts of the CLI a user sees: durations, ETA, addresses, database names."""

from __future__ import annotations

from pathlib import Path

from harvester.cli.cycle import CycleState, failure_lines, human_seconds, progress_line
from harvester.cli.target import describe, server_url, sqlite_file
from harvester.settings import Settings


def _state(harvest: dict[str, int], started: float = 1000.0) -> CycleState:
    return CycleState(
        started=started, runs={"harvest-comments": harvest}, videos=4, comments=40, domains=7
    )


def test_human_seconds() -> None:
    assert human_seconds(42.4) == "42 s"
    assert human_seconds(275.2) == "4 m 35 s"
    assert human_seconds(3720) == "1 h 02 m"


def test_progress_line_shows_n_of_n_and_an_eta_from_the_rate_so_far() -> None:
    state = _state({"COMPLETED": 10, "RUNNING": 2, "QUEUED": 8})
    assert state.harvests == (10, 20)
    line = progress_line(state, now=1020.0)
    assert line == "[20 s] videos harvested 10 / 20 · comments +40 · domains +7 · ETA 20 s"
    assert "discovering" in progress_line(_state({}), now=1001.0)
    assert "ETA" not in progress_line(_state({"COMPLETED": 3}), now=1010.0)


def test_failure_lines_name_the_run_and_the_error() -> None:
    failed = [{"run_id": "r1", "fn_id": "f", "error": {"name": "SourceError", "message": "503"}}]
    state = CycleState(1.0, {"f": {"FAILED": 3}}, 0, 0, 0, failed)
    lines = failure_lines(state)
    assert lines[0] == "  f run r1 — SourceError: 503"
    assert "2 more" in lines[1]


def test_addresses_and_database_names() -> None:
    assert server_url(Settings(host="0.0.0.0", port=9000)) == "http://127.0.0.1:9000"
    assert server_url(Settings(), host="::1", port=1) == "http://[::1]:1"
    assert (
        describe("postgresql+psycopg://u:secret@db:5432/h")
        == "postgresql+psycopg://u:***@db:5432/h"
    )
    assert sqlite_file("sqlite:///data/h.db") == Path("data/h.db").resolve()
    assert sqlite_file("sqlite:///:memory:") is None
