"""The guard reaches the store only through its face and store.guard_state: an
import-linter contract fails the build when a guard module imports the ORM or SQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CONTRACT_ID = "guard-store-api"  # in pyproject.toml


def _lint(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    """lint-imports on a copy of the package with ``code`` added as a guard module."""
    tree = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "harvester", tree / "harvester")
    (tree / "harvester" / "guard" / "leak.py").write_text(code)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    lint = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(lint), "--no-cache", "--contract", CONTRACT_ID],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    "leak",
    [
        "from harvester.store.models import QuotaUsage\n",
        "import sqlalchemy\n",
        "from harvester.store.kv import get_setting\n",
    ],
)
def test_the_contract_fails_when_the_guard_reaches_past_the_store_api(
    tmp_path: Path, leak: str
) -> None:
    res = _lint(tmp_path, leak)
    assert res.returncode != 0, res.stdout
    assert "BROKEN" in res.stdout and "harvester.guard.leak" in res.stdout


def test_the_guard_may_use_the_store_api(tmp_path: Path) -> None:
    res = _lint(tmp_path, "from harvester.store.guard_state import GuardState\n")
    assert res.returncode == 0, res.stdout
