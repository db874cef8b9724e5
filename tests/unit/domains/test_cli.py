from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from harvester.cli import app

runner = CliRunner()


def test_json_lines_from_stdin() -> None:
    res = runner.invoke(app, ["extract"], input="see example.com\nnothing here\n")
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["see example.com", "nothing here"]
    assert rows[0]["domains"][0]["domain"] == "example.com"
    assert rows[1]["domains"] == []


def test_csv_from_file(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_text("a shop dot com b\nmail x@gmail.com\n", encoding="utf-8")
    res = runner.invoke(app, ["extract", str(f), "--format", "csv", "--no-emails"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert lines[0].startswith("line_no,text,domain")
    assert len(lines) == 2 and ",shop.com," in lines[1] and ",True," in lines[1]


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["extract", str(tmp_path / "nope.txt")])
    assert res.exit_code == 2
    assert "check the path" in res.output
