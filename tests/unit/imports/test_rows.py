"""Rows of each format: the same facts from every collector, a bad field named with
its line, and the containers' edge cases (BOM, CRLF, cut-off last line, big arrays)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harvester.tiktok.imports import (
    CommentRecord,
    ImportFile,
    Skip,
    SkipReason,
    VideoRecord,
    containers,
    detect,
)
from tests.fixtures.imports import builders as b

FIXTURES = Path(__file__).parents[2] / "fixtures" / "imports"


def _read(path: Path) -> list[Any]:
    return list(ImportFile(path, detect(path)))


@pytest.mark.parametrize(
    "name",
    [
        "zeeschuimer-tiktok.ndjson",
        "4cat-tiktok.csv",
        "tiktokapi-videos.json",
        "apify-posts.json",
        "apify-posts.csv",
    ],
)
def test_every_collector_gives_the_same_posts(name: str) -> None:
    """The fixtures hold the same six posts: each format yields the same facts."""
    posts = _read(FIXTURES / name)
    assert [(p.video_id, p.username, p.promoted, p.view_count) for p in posts] == [
        (b.post_id(i), f"brand{i % 4}", i in (1, 2, 4), 5000 + i) for i in range(6)
    ]
    assert all(p.create_time is not None and p.description for p in posts)


@pytest.mark.parametrize(
    "name",
    [
        "zeeschuimer-comments-bom-crlf.ndjson",
        "4cat-tiktok-comments.csv",
        "tiktokapi-comments.jsonl",
        "apify-comments.json",
    ],
)
def test_every_collector_gives_the_same_comments(name: str) -> None:
    comments = [c for c in _read(FIXTURES / name) if isinstance(c, CommentRecord)]
    expected = [
        (b.comment_id(i), b.post_id(1), b.comment_id(0) if i % 5 == 4 else None) for i in range(11)
    ]
    assert [(c.comment_id, c.video_id, c.parent_comment_id) for c in comments] == expected
    assert comments[1].text == b.COMMENT_TEXTS[1]


def _ndjson(tmp_path: Path, rows: list[Any], tail: bytes = b"") -> Path:
    f = tmp_path / "z.ndjson"
    f.write_bytes("".join(json.dumps(r) + "\n" for r in rows).encode() + tail)
    return f


def test_a_post_item_holding_a_comment_is_refused_not_stored_as_a_video(tmp_path: Path) -> None:
    good = b.zeeschuimer_posts(3)
    wrong = b.envelope(9, "tiktok.com", b.web_comment(1, b.post_id(1), "hi"), "x")
    out = _read(_ndjson(tmp_path, [*good, wrong]))
    assert sum(isinstance(o, VideoRecord) for o in out) == 3
    assert not any(isinstance(o, CommentRecord) for o in out)
    skip = out[-1]
    assert isinstance(skip, Skip) and skip.reason is SkipReason.MALFORMED and skip.line == 4
    assert (
        str(skip)
        == "line 4: data: a tiktok.com item that is not a post: lacks id, createTime, author"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"createTime": "yesterday"}, "createTime: expected unix seconds, got 'yesterday'"),
        ({"id": "12ab"}, "id: a TikTok post id is 1-25 digits, got '12ab'"),
        ({"stats": {"playCount": -1}}, "stats.playCount: expected a count ≥ 0, got -1"),
        ({"author": ["x"]}, "author: expected text, got list"),
    ],
)
def test_a_bad_field_is_named_with_its_line(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    rows = b.zeeschuimer_posts(3)
    rows[1]["data"].update(change)
    out = _read(_ndjson(tmp_path, rows))
    assert [type(o).__name__ for o in out] == ["VideoRecord", "Skip", "VideoRecord"]
    assert str(out[1]) == f"line 2: {message}"


def test_a_cut_off_last_line_is_its_own_skip_and_a_bad_middle_line_malformed(
    tmp_path: Path,
) -> None:
    f = _ndjson(tmp_path, [*b.zeeschuimer_posts(2), "x"], tail=b'{"nav_index": "1:1:3", "da')
    f.write_bytes(f.read_bytes().replace(b'"x"\n', b"{not json\n"))
    out = _read(f)
    assert [o.reason for o in out if isinstance(o, Skip)] == [
        SkipReason.MALFORMED,
        SkipReason.TRUNCATED_LAST_LINE,
    ]
    assert [o.line for o in out if isinstance(o, Skip)] == [3, 4]


def test_a_json_array_streams_through_a_small_buffer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Elements longer than the read size, split multi-byte characters, line numbers."""
    monkeypatch.setattr(containers, "CHUNK", 64)
    data = [p["data"] for p in b.zeeschuimer_posts(5)]
    data[2]["desc"] = "ünïcödé " * 50
    f = tmp_path / "a.json"
    f.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    out = _read(f)
    assert [o.video_id for o in out] == [d["id"] for d in data]
    assert out[2].description == data[2]["desc"]


def test_a_cut_off_json_array_skips_its_last_element(tmp_path: Path) -> None:
    data = [p["data"] for p in b.zeeschuimer_posts(3)]
    f = tmp_path / "a.json"
    f.write_text(json.dumps(data)[:-30])
    out = _read(f)
    assert [type(o).__name__ for o in out] == ["VideoRecord", "VideoRecord", "Skip"]


def test_csv_rows_with_more_cells_than_columns_are_malformed(tmp_path: Path) -> None:
    text = (FIXTURES / "4cat-tiktok.csv").read_bytes().decode()  # CRLF kept
    lines = text.split("\r\n")
    lines[2] += ",surplus"
    f = tmp_path / "p.csv"
    f.write_text("\r\n".join(lines), newline="")
    out = _read(f)
    assert [type(o).__name__ for o in out].count("VideoRecord") == 5
    assert str(out[1]) == "line 3: more cells than the header has columns"
