"""``./harvester`` run from another folder: the files a user names are theirs (relative
to where they are), and the data stays in the checkout's ``data/`` unless they say."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "imports" / "4cat-tiktok.csv"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")}
    return {**env, "COLUMNS": "200", **extra}


def test_a_relative_file_is_read_where_the_user_is(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("order at glowskin dot com\n", encoding="utf-8")
    res = subprocess.run(
        [str(ROOT / "harvester"), "extract", "notes.txt"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert [d["domain"] for d in json.loads(res.stdout)["domains"]] == ["glowskin.com"]


def test_an_import_from_another_folder_reads_its_file_and_keeps_its_data_dir(
    tmp_path: Path,
) -> None:
    shutil.copy(FIXTURE, tmp_path / "posts.csv")
    data = tmp_path / "elsewhere"
    res = subprocess.run(
        [str(ROOT / "harvester"), "import", "posts.csv", "--json"],
        cwd=tmp_path, env=_env(HARVESTER_DATA_DIR=str(data)),
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["new_videos"] == 6
    assert (data / "harvester.db").exists()
