from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli import app
from harvester.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()


def test_version_and_help() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.startswith("harvester ")
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in ("doctor", "db"):
        assert cmd in res.output


def test_doctor_reports_unreachable_database_with_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from harvester.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    try:
        res = runner.invoke(app, ["doctor"], env={"COLUMNS": "200"})
    finally:
        get_settings.cache_clear()
    assert res.exit_code == 1
    assert "problem" in res.output and "DATABASE_URL" in res.output


def test_settings_reject_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARVESTER_PORT", "99999")
    with pytest.raises(ValueError, match="port"):
        Settings()


def test_settings_default_database_is_sqlite_under_data_dir(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    assert s.effective_database_url == f"sqlite:///{tmp_path / 'harvester.db'}"
    assert Settings(database_url="postgresql://u@h/db").effective_database_url.startswith(
        "postgresql+psycopg://"
    )


def _lint_with_leak(tmp_path: Path, module: str, code: str) -> str:
    """Copy the package, add ``module`` (a path under harvester/) holding ``code``, and
    run lint-imports on the copy; its report."""
    tree = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "harvester", tree / "harvester")
    (tree / "harvester" / module).write_text(code)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    lint = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    res = subprocess.run(
        [str(lint), "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert res.returncode != 0, res.stdout
    return res.stdout


def test_architecture_contract_fails_when_engine_imports_the_app(tmp_path: Path) -> None:
    """Make the engine import the store, and lint-imports must fail."""
    report = _lint_with_leak(tmp_path, "engine/leak.py", "import harvester.store\n")
    assert "engine imports nothing from the rest of harvester BROKEN" in report


def test_contract_fails_when_the_web_reaches_past_the_engines_face(tmp_path: Path) -> None:
    """The web may import harvester.engine, never one of its parts."""
    report = _lint_with_leak(
        tmp_path, "web/leak.py", "from harvester.engine.sysdb import SystemDatabase\n"
    )
    assert "only its face (harvester.engine) is imported BROKEN" in report
