"""Export rows validated at the boundary: the documented column mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from harvester.tiktok.exports import (
    Format,
    ImportedComment,
    ImportedVideo,
    RowError,
    read_rows,
    validate_row,
)


def test_official_research_api_shapes_are_understood() -> None:
    c = validate_row(
        {
            "id": 7301,
            "video_id": 7300000000000000001,
            "text": "see a.com",
            "create_time": 1700000000,
        },
        "f.json",
        1,
    )
    assert isinstance(c, ImportedComment)
    assert (c.comment_id, c.video_id) == ("7301", "7300000000000000001")
    assert c.create_time == datetime.fromtimestamp(1700000000, UTC)
    v = validate_row({"id": "7300000000000000001", "username": "brand", "view_count": "12"}, "f", 2)
    assert isinstance(v, ImportedVideo) and v.view_count == 12 and v.username == "brand"


def test_scraper_aliases_and_url_ids() -> None:
    c = validate_row(
        {
            "cid": "c1",
            "aweme_id": "123456",
            "comment_text": "hi",
            "digg_count": "3",
            "created_at": "2026-11-30T10:00:00Z",
        },
        "f.csv",
        2,
    )
    assert isinstance(c, ImportedComment) and c.like_count == 3 and c.create_time is not None
    v = validate_row(
        {"share_url": "https://www.tiktok.com/@b/video/7300000000000000009", "desc": "x"}, "f", 3
    )
    assert isinstance(v, ImportedVideo) and v.video_id == "7300000000000000009"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"comment_id": "c1", "video_id": "1", "text": ""}, "text"),
        ({"comment_id": "c1", "video_id": "12x", "text": "t"}, "video_id"),
        ({"comment_id": "c 1", "video_id": "1", "text": "t"}, "comment_id"),
        ({"comment_id": "c1", "video_id": "1", "text": "t", "like_count": "many"}, "like_count"),
        (
            {"comment_id": "c1", "video_id": "1", "text": "t", "create_time": "yesterday"},
            "create_time",
        ),
        ({"comment_id": "c1", "text": "t"}, "video_id"),
        ({"kind": "ad", "video_id": "1"}, "kind"),
        ({"username": "only"}, "video_id"),
    ],
)
def test_a_bad_row_names_its_field(raw: dict[str, object], field: str) -> None:
    err = validate_row(raw, "comments.csv", 14)
    assert isinstance(err, RowError)
    assert (err.file, err.line, err.field) == ("comments.csv", 14, field)
    assert str(err).startswith(f"comments.csv:14: {field}: ")


def test_json_rows_carry_the_line_they_start_on(tmp_path: Path) -> None:
    f = tmp_path / "x.json"
    f.write_text('[\n  {"video_id": "1"},\n  {"video_id": "no"}\n]\n')
    rows = list(read_rows(f, Format.JSON))
    assert rows[0].row is not None and rows[0].line == 2
    assert rows[1].error is not None and rows[1].line == 3 and rows[1].error.field == "video_id"


def test_jsonl_and_csv_line_numbers(tmp_path: Path) -> None:
    j = tmp_path / "x.jsonl"
    j.write_text('{"video_id": "1"}\n\nnot json\n')
    rows = list(read_rows(j, Format.JSONL))
    assert [(r.line, r.error is None) for r in rows] == [(1, True), (3, False)]
    c = tmp_path / "x.csv"
    c.write_text('comment_id,video_id,text\nc1,1,"two\nlines"\nc2,1,\n')
    rows = list(read_rows(c, Format.CSV))
    assert rows[0].row is not None
    assert rows[1].error is not None and rows[1].line == 4  # after the quoted newline
