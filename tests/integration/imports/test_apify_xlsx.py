"""Apify's XLSX download (the same flattened ``authorMeta/name`` columns as its CSV),
recognised by what the file is — a ZIP holding ``xl/workbook.xml`` — and read row by
row: through ``harvester import``, the upload page and the API the page polls. A
workbook that is not an Apify export is refused naming what it lacked, and nothing is
written. The workbooks are built here with openpyxl from Apify's published fields."""

from __future__ import annotations

import asyncio
import json
import re
import zipfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from harvester.cli import app
from harvester.runtime import build_runtime
from harvester.settings import Settings, get_settings
from harvester.sim.tiktok import create_app as create_sim_app
from harvester.store import Database
from harvester.store.models import Comment, Video
from harvester.tiktok.imports import (
    Container,
    ImportFile,
    ImportFormat,
    Refused,
    Skip,
    VideoRecord,
    detect,
)
from harvester.web.app import create_app
from tests.fixtures.imports import builders as b

runner = CliRunner()
COMMENT_DOMAINS = {"deal-finder.net", "scam-report.org", "bargain-hub.co.uk", "promo-codes.io"}


def write_xlsx(path: Path, rows: list[dict[str, Any]], title: str = "dataset") -> Path:
    """A workbook as Apify's XLSX download lays it out: one sheet, a header row of the
    flattened field names, one row per item (an absent field is an empty cell)."""
    header: list[str] = []
    for r in rows:
        header += [k for k in r if k not in header]
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(header)
    for r in rows:
        ws.append([None if r.get(k) in (None, "") else r.get(k) for k in header])
    wb.save(path)
    return path


def apify_posts_xlsx(path: Path) -> Path:
    posts = [b.flatten(b.apify_post(p["data"])) for p in b.zeeschuimer_posts()]
    return write_xlsx(path, posts)


def apify_comments_xlsx(path: Path) -> Path:
    comments = [b.flatten(b.apify_comment(c["data"])) for c in b.zeeschuimer_comments()]
    return write_xlsx(path, comments)


def not_apify_xlsx(path: Path) -> Path:
    rows = [{"name": "eggs", "price": 2.5, "shop": "corner"}, {"name": "milk", "price": 1.0}]
    return write_xlsx(path, rows, "groceries")


def _kinds(path: Path) -> Counter[str]:
    out: Counter[str] = Counter()
    for o in ImportFile(path, detect(path)):
        out[o.key if isinstance(o, Skip) else type(o).__name__] += 1
    return out


def test_a_workbook_is_known_by_its_contents_and_read_as_apify(tmp_path: Path) -> None:
    posts = apify_posts_xlsx(tmp_path / "dataset_tiktok-scraper.xlsx")
    named_csv = apify_comments_xlsx(tmp_path / "comments.csv")  # the suffix decides nothing
    for f, kinds in ((posts, {"VideoRecord": 6}), (named_csv, {"CommentRecord": 11})):
        found = detect(f)
        assert (found.container, found.reader.format) == (Container.XLSX, ImportFormat.APIFY)
        assert _kinds(f) == kinds
    rows = [o for o in ImportFile(posts, detect(posts)) if isinstance(o, VideoRecord)]
    first = b.zeeschuimer_posts()[0]["data"]
    assert rows[0].video_id == first["id"] and rows[0].username == first["author"]["uniqueId"]
    assert rows[0].create_time is not None and rows[0].create_time.isoformat() == (
        "2025-11-23T16:00:00+00:00"
    )
    assert [r.promoted for r in rows].count(True) == 3


def test_a_workbook_that_is_not_an_apify_export_is_refused_naming_what_it_lacked(
    tmp_path: Path,
) -> None:
    with pytest.raises(Refused) as err:
        detect(not_apify_xlsx(tmp_path / "shopping.xlsx"))
    msg = str(err.value)
    assert msg.startswith("not a format this harvester reads: the closest is Apify TikTok")
    assert re.search(r"line 2 lacks .*(webVideoUrl|videoWebUrl)", msg) and "createTimeISO" in msg


def test_a_zip_that_is_no_workbook_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "export.xlsx"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("data.ndjson", b.ndjson(b.zeeschuimer_posts()))
    with pytest.raises(Refused, match="a ZIP archive, not an XLSX workbook"):
        detect(f)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _import(*args: str) -> tuple[int, dict[str, Any], str]:
    res = runner.invoke(app, ["import", *args, "--json"], env={"COLUMNS": "200"})
    return res.exit_code, json.loads(res.stdout.strip().splitlines()[-1]), res.stderr


def _counts() -> tuple[int, int, int]:
    db = Database(get_settings().effective_database_url)
    try:
        with db.session() as s:
            videos = int(s.scalar(sa.select(sa.func.count()).select_from(Video)) or 0)
            comments = int(s.scalar(sa.select(sa.func.count()).select_from(Comment)) or 0)
            promoted = s.scalar(sa.select(sa.func.count()).where(Video.promoted.is_(True)))
        return videos, comments, int(promoted or 0)
    finally:
        db.dispose()


def test_harvester_import_reads_apify_workbooks(
    here: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    apify_posts_xlsx(here / "posts.xlsx")
    apify_comments_xlsx(here / "comments.xlsx")
    code, report, _ = _import("posts.xlsx", "comments.xlsx")
    assert code == 0, report
    assert [f["format"] for f in report["files"]] == ["apify", "apify"]
    got = [report[k] for k in ("new_videos", "new_comments", "promoted_videos", "mentions")]
    assert got[:3] == [6, 11, 3] and got[3] >= len(COMMENT_DOMAINS)
    assert _counts() == (6, 11, 3)
    code, again, err = _import("posts.xlsx", "comments.xlsx")
    assert code == 0 and again["new_videos"] == again["new_comments"] == 0
    assert err.count("nothing new") == 2


def test_harvester_import_refuses_another_workbook_and_writes_nothing(here: Path) -> None:
    not_apify_xlsx(here / "shopping.xlsx")
    code, report, err = _import("shopping.xlsx")
    assert code == 2
    refused = report["files"][0]["refused"]
    assert "the closest is Apify TikTok dataset" in refused and "createTimeISO" in refused
    assert "createTimeISO" in " ".join(err.split())
    db_file = here / "data" / "harvester.db"
    assert not db_file.exists() or _counts() == (0, 0, 0)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """The whole app with its engine, reached as the upload page's browser reaches it."""
    runtime = build_runtime(
        Settings(data_dir=tmp_path, regions="FR"),
        engine_config={"retry_base_delay": 0.05, "fire_crons": False},
        source_transport=httpx.ASGITransport(app=create_sim_app(seed=7)),
    )
    web = create_app(runtime)
    try:
        async with (
            web.router.lifespan_context(web),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=web), base_url="http://127.0.0.1:8000"
            ) as client,
        ):
            yield client, runtime
    finally:
        await runtime.aclose()


async def _upload(client: httpx.AsyncClient, f: Path) -> httpx.Response:
    """As the page's script does: the form with its CSRF token, asking for JSON."""
    page = await client.get("/imports")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return await client.post(
        "/imports/upload",
        data={"csrf": token.group(1)},
        files={"file": (f.name, f.read_bytes(), xlsx)},
        headers={"Accept": "application/json", "Origin": "http://127.0.0.1:8000"},
    )


async def _done(client: httpx.AsyncClient, key: str) -> dict[str, Any]:
    for _ in range(150):
        body: dict[str, Any] = (await client.get(f"/api/check-query/?key={key}")).json()
        if body["done"]:
            return body
        await asyncio.sleep(0.2)
    raise AssertionError("the import never finished")


async def test_the_upload_page_imports_a_workbook_and_refuses_another(
    served: tuple[httpx.AsyncClient, Any], tmp_path: Path
) -> None:
    client, runtime = served
    res = await _upload(client, apify_posts_xlsx(tmp_path / "posts.xlsx"))
    assert res.status_code == 200, res.text
    assert res.json()["format"] == "apify"
    done = await _done(client, res.json()["key"])
    assert done["status"] == "done: 6 new videos, 0 new comments, 3 promoted"
    res = await _upload(client, apify_comments_xlsx(tmp_path / "comments.xlsx"))
    done = await _done(client, res.json()["key"])
    assert done["report"]["new_comments"] == 11
    domains = await client.get("/domains")
    assert all(d in domains.text for d in COMMENT_DOMAINS)
    forged = await client.post(
        "/imports/upload",
        data={"csrf": "forged"},
        files={"file": ("posts.xlsx", (tmp_path / "posts.xlsx").read_bytes())},
        headers={"Origin": "http://127.0.0.1:8000"},
    )
    assert forged.status_code == 403 and "CSRF" in forged.text
    bad = await _upload(client, not_apify_xlsx(tmp_path / "shopping.xlsx"))
    assert bad.status_code == 400
    assert "shopping.xlsx" in bad.text and "createTimeISO" in bad.text
    uploads = Path(runtime.settings.data_dir) / "uploads"
    assert not any(uploads.iterdir())  # the imported ones consumed, the refused one removed
