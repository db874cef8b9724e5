from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from typer.testing import CliRunner

from harvester.cli import app
from harvester.domains import extract

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


def test_a_dash_reads_standard_input_between_files(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_text("see first.com\n", encoding="utf-8")
    res = runner.invoke(app, ["extract", str(f), "-"], input="then shop.myshopify.com\n")
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["domains"][0]["domain"] for r in rows] == ["first.com", "shop.myshopify.com"]


def test_csv_gives_the_platform_name_and_the_deceptive_flag() -> None:
    text = "claim it https://instagram.com@prize.myshopify.com/x\n"
    res = runner.invoke(app, ["extract", "--format", "csv"], input=text)
    assert res.exit_code == 0, res.output
    header, row = res.stdout.strip().splitlines()
    assert header.endswith(",icann_domain,deceptive")
    assert row.endswith(",myshopify.com,True") and ",prize.myshopify.com," in row


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["extract", str(tmp_path / "nope.txt")])
    assert res.exit_code == 2
    assert "check the path" in res.output


def test_json_lines_carry_every_field_and_survive_bad_bytes() -> None:
    text = "shop at https://Example.com/x and tiktok.com \xff".encode("latin-1")
    res = runner.invoke(app, ["extract"], input=text + b"\n")
    assert res.exit_code == 0, res.output
    (row,) = [json.loads(line) for line in res.stdout.splitlines()]
    assert row["text"].endswith("\ufffd")  # an undecodable byte reads as U+FFFD
    want = extract(row["text"])
    # every field of a match; "reason" only on filtered ones
    assert row["domains"] == [
        {k: v for k, v in asdict(d).items() if k != "reason"} for d in want.domains
    ]
    assert row["filtered"] == [asdict(d) for d in want.filtered]
    assert [d["domain"] for d in row["domains"]] == ["example.com"]
    assert [f["domain"] for f in row["filtered"]] == ["tiktok.com"]
