"""The command line lists and starts its commands without importing the application."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli import app
from harvester.cli.lazy import COMMANDS, commands_of
from tests.free_port import free_port

HEAVY = (
    "sqlalchemy",
    "fastapi",
    "uvicorn",
    "inngest",
    "harvester.engine",
    "harvester.store",
    "httpx",
)


def _loaded_after(args: list[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    probe = (
        "import sys\n"
        "from harvester.cli import main\n"
        f"sys.argv = ['harvester', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('LOADED=' + ','.join(m for m in {heavy!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = done.stdout.rsplit("LOADED=", 1)[1].strip()
    return [m for m in loaded.split(",") if m]


def test_the_table_matches_what_the_modules_register() -> None:
    registered: dict[str, str] = {}
    for module in {e.module for e in COMMANDS.values()}:
        for name, cmd in commands_of(module).items():
            registered[name] = (cmd.short_help or cmd.help or "").split("\n\n")[0]
    assert registered == {name: e.help for name, e in COMMANDS.items()}


@pytest.mark.parametrize("args", [["--help"], ["db", "--help"], ["extract", "--help"]])
def test_help_imports_none_of_the_application(args: list[str]) -> None:
    assert _loaded_after(args) == []


def test_a_command_still_runs_and_a_typo_gets_a_suggestion() -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["extract"], input="see example.com\n")
    assert res.exit_code == 0 and '"domain":"example.com"' in res.output
    res = runner.invoke(app, ["extrct"])
    assert res.exit_code == 2 and "Did you mean 'extract'" in res.output


def test_doctor_in_a_fresh_folder_imports_no_database_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no database yet there is nothing to open, and with no server up nothing to
    ask over HTTP: `doctor` answers without SQLAlchemy, Alembic, the store or httpx."""
    monkeypatch.chdir(tmp_path)
    for var in ("DATABASE_URL", "HARVESTER_DATA_DIR", "REDIS_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HARVESTER_PORT", str(free_port()))  # no server of anyone's there
    assert _loaded_after(["doctor"]) == []
    assert not (tmp_path / "data").exists()


def test_doctor_reads_an_existing_sqlite_database_without_the_database_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `up` the database exists: its revision and today's quota are read with the
    standard library, and doctor still says them (no SQLAlchemy: a third of the time)."""
    from harvester.store import Database, upgrade

    db = Database(f"sqlite:///{tmp_path / 'harvester.db'}")
    try:
        upgrade(db)
    finally:
        db.dispose()
    for var in ("DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HARVESTER_PORT", str(free_port()))
    monkeypatch.setenv("COLUMNS", "400")
    database_layer = ("sqlalchemy", "alembic", "harvester.store.db", "harvester.store.models")
    assert _loaded_after(["doctor"], (*database_layer, "httpx")) == []
    run = "import sys\nfrom harvester.cli import main\nsys.argv = ['harvester', 'doctor']\nmain()"
    shown = subprocess.run(
        [sys.executable, "-c", run], capture_output=True, text=True, timeout=60
    ).stdout
    assert " schema " in shown and "(head" not in shown
    assert "used today: research 0/100000 requests" in shown
