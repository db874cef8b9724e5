"""Formats are recognised by shape, per file and per row, never by the suffix; what
none recognises is refused naming the closest format and what it lacked."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from harvester.tiktok.imports import (
    CommentRecord,
    ImportFile,
    ImportFormat,
    Refused,
    Skip,
    VideoRecord,
    detect,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "imports"


def _kinds(path: Path) -> Counter[str]:
    out: Counter[str] = Counter()
    for o in ImportFile(path, detect(path)):
        out[o.key if isinstance(o, Skip) else type(o).__name__] += 1
    return out


@pytest.mark.parametrize(
    ("name", "fmt", "kinds"),
    [
        ("zeeschuimer-tiktok.ndjson", "zeeschuimer", {"VideoRecord": 6}),
        (
            "zeeschuimer-comments-bom-crlf.ndjson",
            "zeeschuimer",
            {"CommentRecord": 11, "truncated_last_line": 1},
        ),
        (
            "zeeschuimer-mixed.ndjson",
            "zeeschuimer",
            {
                "VideoRecord": 2,
                "CommentRecord": 3,
                "other_platform:instagram.com": 1,
                "other_platform:twitter.com": 1,
                "other_platform:douyin.com": 1,
            },
        ),
        ("4cat-tiktok.csv", "4cat", {"VideoRecord": 6}),
        ("4cat-tiktok-comments.csv", "4cat", {"CommentRecord": 11}),
        ("tiktokapi-videos.json", "tiktokapi", {"VideoRecord": 6}),
        ("tiktokapi-comments.jsonl", "tiktokapi", {"CommentRecord": 11}),
        ("apify-posts.json", "apify", {"VideoRecord": 6}),
        ("apify-posts.csv", "apify", {"VideoRecord": 6}),
        ("apify-comments.json", "apify", {"CommentRecord": 11}),
        ("yt-dlp-tiktok.info.json", "yt-dlp", {"VideoRecord": 1, "CommentRecord": 2}),
        ("yt-dlp-youtube.info.json", "yt-dlp", {"not_tiktok": 1}),
    ],
)
def test_each_fixture_is_read_as_its_format(name: str, fmt: str, kinds: dict[str, int]) -> None:
    path = FIXTURES / name
    assert detect(path).reader.format == fmt
    assert _kinds(path) == kinds


def test_the_suffix_decides_nothing(tmp_path: Path) -> None:
    """A Zeeschuimer file named .csv is still Zeeschuimer's; a CSV named .json a CSV."""
    a = tmp_path / "posts.csv"
    shutil.copy(FIXTURES / "zeeschuimer-tiktok.ndjson", a)
    b = tmp_path / "export.json"
    shutil.copy(FIXTURES / "4cat-tiktok.csv", b)
    assert detect(a).reader.format is ImportFormat.ZEESCHUIMER
    assert detect(b).reader.format is ImportFormat.FOURCAT


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("garbage.bin", "not UTF-8 text"),
        ("notes.txt", "neither JSON (lines, array, document) nor CSV"),
    ],
)
def test_garbage_is_refused_with_the_reason(name: str, why: str) -> None:
    with pytest.raises(Refused, match=re.escape(why)):
        detect(FIXTURES / name)


def test_an_unknown_shape_names_the_closest_format_and_what_it_lacked(tmp_path: Path) -> None:
    f = tmp_path / "x.ndjson"
    rows = [{"item_id": "1", "source_platform": "tiktok.com", "payload": {}}] * 3
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(Refused) as err:
        detect(f)
    assert str(err.value) == (
        "not a format this harvester reads: the closest is Zeeschuimer NDJSON, "
        "but line 1 lacks data"
    )


def test_a_forced_format_that_does_not_fit_is_refused() -> None:
    with pytest.raises(Refused, match="not 4CAT CSV: line 1 lacks"):
        detect(FIXTURES / "zeeschuimer-tiktok.ndjson", ImportFormat.FOURCAT)
    forced = detect(FIXTURES / "tiktokapi-comments.jsonl", ImportFormat.TIKTOKAPI)
    assert forced.reader.format is ImportFormat.TIKTOKAPI


def test_an_envelope_is_never_read_as_columns_or_bare_objects(tmp_path: Path) -> None:
    """The misreading of issue 27: Zeeschuimer's item_id taken for a video id."""
    f = tmp_path / "x.jsonl"
    f.write_text(json.dumps({"item_id": "1", "source_platform": "x", "data": 5}) + "\n")
    for fmt in (ImportFormat.COLUMNS, ImportFormat.TIKTOKAPI):
        with pytest.raises(Refused):
            detect(f, fmt)


def test_rows_keep_what_analysts_need() -> None:
    posts = [
        o
        for o in ImportFile(
            FIXTURES / "zeeschuimer-tiktok.ndjson", detect(FIXTURES / "zeeschuimer-tiktok.ndjson")
        )
        if isinstance(o, VideoRecord)
    ]
    assert [p.promoted for p in posts] == [False, True, True, False, True, False]
    first = posts[0]
    assert (
        first.username == "brand0"
        and first.url == f"https://www.tiktok.com/@brand0/video/{first.video_id}"
    )
    assert first.create_time is not None and first.collected_at is not None
    assert first.collected_at.year == 2025 and first.view_count == 5000
    path = FIXTURES / "zeeschuimer-comments-bom-crlf.ndjson"
    comments = [o for o in ImportFile(path, detect(path)) if isinstance(o, CommentRecord)]
    replies = [c for c in comments if c.parent_comment_id]
    assert len(replies) == 2 and {c.parent_comment_id for c in replies} == {comments[0].comment_id}
    assert comments[0].text.startswith("where do I buy")  # the BOM did not stick to line 1
