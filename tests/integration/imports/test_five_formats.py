"""Each collector's files through ``harvester import`` from a fresh data dir: videos,
comments and the promoted count right, the domains page then lists the comments'
domains, a re-import adds nothing and says so, and what is not TikTok writes nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from harvester.cli import app
from harvester.runtime import build_runtime
from harvester.settings import get_settings
from harvester.store import Database
from harvester.store.models import CaptionMention, Comment, Domain, Video
from harvester.web.app import create_app
from tests.fixtures.imports import builders as b

FIXTURES = Path(__file__).parents[2] / "fixtures" / "imports"
runner = CliRunner()
COMMENT_DOMAINS = {"deal-finder.net", "scam-report.org", "bargain-hub.co.uk", "promo-codes.io"}
# (files, format, new videos, new comments, promoted) — the six posts hold three promoted:
# two ads (isAd / is_ad / isAd) and one paid partnership (adAuthorization / isSponsored).
FORMATS = {
    "zeeschuimer": (
        ["zeeschuimer-tiktok.ndjson", "zeeschuimer-comments-bom-crlf.ndjson"],
        6,
        11,
        3,
    ),
    "4cat": (["4cat-tiktok.csv", "4cat-tiktok-comments.csv"], 6, 11, 3),
    "tiktokapi": (["tiktokapi-videos.json", "tiktokapi-comments.jsonl"], 6, 11, 3),
    "apify": (["apify-posts.json", "apify-comments.json"], 6, 11, 3),
    "yt-dlp": (["yt-dlp-tiktok.info.json"], 1, 2, 0),
}


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    for f in FIXTURES.iterdir():
        if not f.name.endswith(".py"):
            shutil.copy(f, tmp_path / f.name)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _import(*args: str) -> tuple[int, dict[str, Any], str]:
    res = runner.invoke(app, ["import", *args, "--json"], env={"COLUMNS": "200"})
    return res.exit_code, json.loads(res.stdout.strip().splitlines()[-1]), res.stderr


def _db_counts() -> dict[str, int]:
    db = Database(get_settings().effective_database_url)
    try:
        with db.session() as s:
            n = {
                t.__tablename__: int(s.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
                for t in (Video, Comment, Domain, CaptionMention)
            }
            n["promoted"] = int(
                s.scalar(sa.select(sa.func.count()).where(Video.promoted.is_(True))) or 0
            )
        return n
    finally:
        db.dispose()


async def _domains_page() -> str:
    runtime = build_runtime(get_settings())
    web = create_app(runtime, start_engine=False)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web), base_url="http://127.0.0.1"
        ) as client:
            res = await client.get("/domains")
            assert res.status_code == 200
            return res.text
    finally:
        await runtime.aclose()


@pytest.mark.parametrize("fmt", list(FORMATS))
async def test_each_format_imports_and_shows_its_domains(
    here: Path, fmt: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    files, videos, comments, promoted = FORMATS[fmt]
    code, report, _ = _import(*files)
    assert code == 0, report
    assert [f["format"] for f in report["files"]] == [fmt] * len(files)
    got = [report[k] for k in ("new_videos", "new_comments", "promoted_videos")]
    assert got == [videos, comments, promoted]
    counts = _db_counts()
    assert (counts["video"], counts["comment"], counts["promoted"]) == (
        videos,
        comments,
        promoted,
    )
    page = await _domains_page()
    expected = {"yt-finds.com"} if fmt == "yt-dlp" else COMMENT_DOMAINS
    assert all(d in page for d in expected), page[:500]
    code, again, err = _import(*files)
    assert code == 0
    assert [again[k] for k in ("new_videos", "updated_videos", "new_comments")] == [0, 0, 0]
    assert err.count("nothing new") == len(files)
    assert _db_counts() == counts


def test_captions_are_caption_mentions_not_comment_mentions(here: Path) -> None:
    code, report, _ = _import("zeeschuimer-tiktok.ndjson")
    assert code == 0 and report["caption_mentions"] == 6 and report["mentions"] == 0
    db = Database(get_settings().effective_database_url)
    with db.session() as s:
        names = set(s.scalars(sa.select(Domain.name)))
        mentions = int(s.scalar(sa.select(sa.func.sum(Domain.mention_count))) or 0)
    db.dispose()
    assert names == {"shop-zone.com"} and mentions == 0


def test_a_mixed_file_takes_only_tiktok_and_counts_the_rest_by_platform(here: Path) -> None:
    code, report, _ = _import("zeeschuimer-mixed.ndjson")
    assert code == 0
    assert report["skipped"] == {
        "other_platform:instagram.com": 1,
        "other_platform:twitter.com": 1,
        "other_platform:douyin.com": 1,  # TikTok's shape, another platform: not read
    }
    assert (report["new_videos"], report["new_comments"], report["promoted_videos"]) == (2, 3, 1)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("zeeschuimer-instagram.ndjson", "no TikTok posts or comments in this file"),
        ("yt-dlp-youtube.info.json", "a yt-dlp info.json of 'Youtube', not TikTok"),
        ("garbage.bin", "not UTF-8 text"),
        ("notes.txt", "neither JSON (lines, array, document) nor CSV"),
    ],
)
def test_another_platform_or_garbage_is_refused_and_nothing_written(
    here: Path, name: str, why: str
) -> None:
    code, report, err = _import(name)
    assert code == 2
    assert why in report["files"][0]["refused"] and why in " ".join(err.split())
    assert report["new_videos"] == report["new_comments"] == 0
    db_file = here / "data" / "harvester.db"
    assert not db_file.exists() or _db_counts()["video"] == 0


def test_too_many_bad_rows_refuse_the_file_and_roll_nothing_in(here: Path) -> None:
    rows = b.zeeschuimer_posts(50)
    for r in rows[:2]:
        r["data"]["createTime"] = "soon"
    (here / "bad.ndjson").write_text(b.ndjson(rows))
    code, report, err = _import("bad.ndjson")
    assert code == 2 and "2 of 50 rows are malformed, over the limit of 0" in err
    assert report["files"][0]["errors"][0] == (
        "line 1: createTime: expected unix seconds, got 'soon'"
    )
    assert _db_counts()["video"] == 0
    code, report, _ = _import("bad.ndjson", "--max-bad", "5%")
    assert code == 1 and report["new_videos"] == 48 and report["skipped"] == {"malformed": 2}


def test_the_report_is_never_cut_when_piped(here: Path) -> None:
    long = "zeeschuimer-export-of-the-spring-campaign-by-the-brand-protection-team.ndjson"
    shutil.copy(here / "zeeschuimer-tiktok.ndjson", here / long)
    res = runner.invoke(app, ["import", long], env={"COLUMNS": None})  # a pipe: no width
    assert res.exit_code == 0, res.stderr
    row = next(line for line in res.stderr.splitlines() if long in line and "│" in line)
    assert "zeeschuimer " in row and " 6 " in row  # file, format and counts on one line
