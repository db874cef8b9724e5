"""``harvester import`` of our own documented columns: into the pipeline, idempotent,
strict at the boundary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from harvester.cli import app
from harvester.settings import get_settings
from harvester.store import Database
from harvester.store.models import Comment, Domain, DomainMention, Video

runner = CliRunner()
VID = "7300000000000000001"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _db(here: Path) -> Database:
    return Database(get_settings().effective_database_url)


def _counts(here: Path) -> tuple[int, int, int, int]:
    db = _db(here)
    with db.session() as s:
        out = tuple(
            int(s.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
            for t in (Video, Comment, Domain, DomainMention)
        )
    db.dispose()
    return out  # type: ignore[return-value]


def _report(res: object) -> dict[str, object]:
    return json.loads(res.stdout.strip().splitlines()[-1])  # type: ignore[attr-defined]


def _write_exports(here: Path) -> list[str]:
    (here / "videos.jsonl").write_text(
        json.dumps({"id": VID, "username": "brand", "video_description": "new drop"}) + "\n"
    )
    (here / "comments.csv").write_text(
        "comment_id,video_id,text,like_count\n"
        f"c1,{VID},buy at shop-example.com now,3\n"
        f'c2,{VID},"mail me, or see deals.example.org",0\n'
    )
    (here / "more.json").write_text(
        json.dumps(
            [{"cid": "c3", "aweme_id": "7300000000000000002", "comment_text": "nothing here"}]
        )
    )
    return ["videos.jsonl", "comments.csv", "more.json"]


def test_import_feeds_the_pipeline_and_a_reimport_adds_nothing(
    here: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    files = _write_exports(here)
    res = runner.invoke(app, ["import", *files, "--json"])
    assert res.exit_code == 0, res.output
    report = _report(res)
    assert (report["rows"], report["new_videos"], report["new_comments"]) == (4, 2, 3)
    assert report["skipped"] == {} and report["new_domains"] == 2
    assert {f["format"] for f in report["files"]} == {"columns"}
    first = _counts(here)
    assert first == (2, 3, 2, 2)
    db = _db(here)
    with db.session() as s:
        video = s.get(Video, VID)
        assert video is not None and video.username == "brand" and video.last_harvested_at
    db.dispose()
    again = runner.invoke(app, ["import", *files, "--json"])
    assert again.exit_code == 0
    assert _report(again)["new_comments"] == 0 and _report(again)["mentions"] == 0
    assert _report(again)["new_videos"] == _report(again)["updated_videos"] == 0
    assert "nothing new" in again.stderr
    assert _counts(here) == first


def test_bad_rows_are_named_and_over_the_limit_nothing_is_stored(here: Path) -> None:
    (here / "c.csv").write_text(
        "comment_id,video_id,text,like_count\n"
        f"ok1,{VID},fine at good-example.com,1\n"
        f"bad1,{VID},see bad-example.com,lots\n"
        "bad2,not-a-video,see worse-example.com,1\n"
        f"bad3,{VID},,1\n"
    )
    res = runner.invoke(app, ["import", "c.csv"], env={"COLUMNS": "200"})
    assert res.exit_code == 2  # 3 bad rows of 4: over 1 %, the file is refused
    assert "line 3: like_count:" in res.output
    assert "line 4: video_id:" in res.output
    assert "line 5: text:" in res.output
    assert "3 of 4 rows are malformed" in res.output
    assert _counts(here) == (0, 0, 0, 0)
    res = runner.invoke(app, ["import", "c.csv", "--max-bad", "3"], env={"COLUMNS": "200"})
    assert res.exit_code == 1  # within the limit: the good row is stored, the bad named
    assert "line 3: like_count:" in res.output
    assert _counts(here) == (1, 1, 1, 1)  # only ok1 and its video


def test_paths_outside_the_root_and_non_files_are_refused(here: Path) -> None:
    (here / "sub").mkdir()
    (here / "secret.csv").write_text("comment_id,video_id,text\nc1,1,x\n")
    (here / "notes.txt").write_text("x")
    for args, why in (
        (["import", "--root", "sub", "sub/../secret.csv"], "outside the import directory"),
        (["import", "sub"], "not a regular file"),
        (["import", "notes.txt"], "neither JSON (lines, array, document) nor CSV"),
        (["import", "missing.csv"], "no such file"),
    ):
        res = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert res.exit_code == 2, args
        assert why in res.output, (args, res.output)
    assert not (here / "data" / "harvester.db").exists()  # nothing was even opened
