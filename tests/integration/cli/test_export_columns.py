"""One column set for domain exports: the web's CSV and ``harvester domains --format
csv`` write the same header and cells; both choose columns by the same names
(``?columns=`` / ``--columns``) and refuse unknown ones with the allowed list."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from harvester.cli import app
from harvester.kernel.export_columns import DOMAIN_EXPORT_COLUMNS
from harvester.runtime import build_runtime
from harvester.settings import Settings, get_settings
from harvester.store.domains import ensure_domains
from harvester.web.app import create_app
from tests.free_port import free_port

runner = CliRunner()
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
NAMES = {"españa-ofertas.es": "xn--espaa-ofertas-lkb.es", "glow.shop": "glow.shop"}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HARVESTER_PORT", str(free_port()))  # no server: the CLI reads files
    get_settings.cache_clear()
    rt = build_runtime(Settings(data_dir=tmp_path))
    with rt.db.session() as s:
        ensure_domains(s, NAMES, NOW, frozenset())
    rt.db.dispose()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
async def client(data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    rt = build_runtime(Settings(data_dir=data_dir))
    transport = httpx.ASGITransport(app=create_app(rt, start_engine=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c
    await rt.aclose()


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _cli(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, ["domains", "--all", *args])
    return res.exit_code, res.stdout, res.stderr


async def test_web_and_cli_write_the_same_columns(client: httpx.AsyncClient) -> None:
    web = _rows((await client.get("/api/v1/domains", params={"format": "csv"})).text)
    code, out, _ = _cli("--format", "csv")
    assert code == 0
    cli = _rows(out)
    assert web[0] == cli[0] == list(DOMAIN_EXPORT_COLUMNS) and len(web[0]) == 16
    assert sorted(web[1:]) == sorted(cli[1:]) and len(cli) == 3


async def test_both_choose_columns_by_the_same_names(client: httpx.AsyncClient) -> None:
    pick = "ascii_name,mention_count,name"
    res = await client.get("/api/v1/domains", params={"format": "csv", "columns": pick})
    code, out, _ = _cli("--format", "csv", "--columns", pick)
    assert code == 0 and res.status_code == 200
    assert _rows(res.text) == _rows(out)
    assert _rows(out)[0] == ["ascii_name", "mention_count", "name"]
    assert ["xn--espaa-ofertas-lkb.es", "0", "españa-ofertas.es"] in _rows(out)
    code, out, _ = _cli("--format", "json", "--columns", "name")
    assert code == 0 and sorted(out.strip()[1:-1].split(",")) == [
        '{"name": "españa-ofertas.es"}',
        '{"name": "glow.shop"}',
    ]


async def test_unknown_columns_are_refused_with_the_allowed_list(
    client: httpx.AsyncClient,
) -> None:
    res = await client.get("/api/v1/domains", params={"format": "csv", "columns": "name,nope"})
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert "nope" in detail and "allowed: name, ascii_name" in detail
    code, out, err = _cli("--format", "csv", "--columns", "name,nope")
    assert code == 2 and out == ""
    assert "nope" in err and "allowed: name, ascii_name" in err
    code, _, err = _cli("--columns", "name")  # the table has its own columns
    assert code == 2 and "csv or json" in err


def test_names_sort_a_to_z_as_on_the_web(data_dir: Path) -> None:
    code, out, _ = _cli("--format", "csv", "--columns", "name", "--sort", "name")
    assert code == 0 and [r[0] for r in _rows(out)[1:]] == ["españa-ofertas.es", "glow.shop"]
