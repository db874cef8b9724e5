"""CSV formula injection: text from TikTok that looks like a spreadsheet formula stays
text in every CSV we write (the CLI's `domains` and `extract`, the dashboard's export)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from harvester.cli import app
from harvester.kernel.csv_cells import FORMULA_STARTS, cell
from harvester.runtime import build_runtime
from harvester.settings import Settings, get_settings
from harvester.store import Database, upgrade
from harvester.store.models import Domain
from harvester.web.app import create_app
from tests.free_port import free_port

runner = CliRunner()
FORMULA = '=HYPERLINK("http://evil.example/x","click me")'


@pytest.fixture
def hostile_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A harvester database holding formula-like domain names (as a bad import might)."""
    db = Database(f"sqlite:///{tmp_path / 'harvester.db'}")
    upgrade(db)
    now = datetime.now(UTC)
    with db.session() as s:
        for i, name in enumerate([FORMULA, "+cmd|' /C calc'!A0", "@SUM(1+1)", "ok.example"]):
            s.add(Domain(name=name, ascii_name=name, first_seen_at=now, last_seen_at=now,
                         mention_count=i + 1))  # fmt: skip
        s.commit()
    db.dispose()
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HARVESTER_PORT", str(free_port()))  # no server: the CLI reads files
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for value in row:
            assert not value.startswith(FORMULA_STARTS), row


def test_domains_csv_quotes_formula_like_cells(hostile_data: Path) -> None:
    res = runner.invoke(app, ["domains", "--format", "csv", "--all"])
    assert res.exit_code == 0, res.output
    rows = list(csv.reader(io.StringIO(res.stdout)))
    _no_formula(rows)
    assert ["'" + FORMULA] in [r[:1] for r in rows]  # kept, readable, not executed
    assert ["ok.example"] in [r[:1] for r in rows]  # ordinary names unchanged


async def test_dashboard_csv_export_quotes_formula_like_cells(hostile_data: Path) -> None:
    runtime = build_runtime(Settings(data_dir=hostile_data))
    transport = httpx.ASGITransport(app=create_app(runtime, start_engine=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        res = await c.get("/api/v1/domains", params={"format": "csv"})
    await runtime.aclose()
    rows = list(csv.reader(io.StringIO(res.text)))
    _no_formula(rows)
    assert "'" + FORMULA in [r[0] for r in rows]


def test_extract_csv_keeps_a_formula_comment_as_text(tmp_path: Path) -> None:
    f = tmp_path / "comments.txt"
    f.write_text(f"{FORMULA} or visit evil-shop.com\n", "utf-8")
    res = runner.invoke(app, ["extract", str(f), "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = list(csv.reader(io.StringIO(res.stdout)))
    _no_formula(rows)
    assert rows[1][1] == "'" + f"{FORMULA} or visit evil-shop.com"
    assert "evil-shop.com" in [r[2] for r in rows[1:]]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_every_formula_start_is_quoted(start: str) -> None:
    assert cell(start + "1+1") == "'" + start + "1+1"
    assert cell("a" + start) == "a" + start and cell(5) == 5
