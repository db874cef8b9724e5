"""yt-dlp's ``--write-info-json`` for a TikTok URL: one video's metadata (``id,
webpage_url, extractor_key, description, uploader, timestamp, view_count,
comment_count, …``). Only with ``--write-comments`` does it hold comments (``comments[]``:
``id, text, timestamp, like_count, parent`` = ``"root"`` or the parent's id), and it
never says whether a post was an ad. An info.json of another site is refused."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from harvester.tiktok.imports.formats import ImportFormat, Reader, lacking
from harvester.tiktok.imports.records import (
    CommentRecord,
    Outcome,
    RowError,
    Skip,
    SkipReason,
    VideoRecord,
    absent,
    comment_id,
    count,
    epoch,
    text,
    video_id,
)

REQUIRED = ("id", "webpage_url", "extractor_key")
TIKTOK_EXTRACTORS = frozenset({"tiktok"})
MAX_COMMENTS = 1_000_000


def _comments(info: dict[str, Any], vid: str, line: int) -> Iterator[Outcome]:
    comments = info.get("comments") or []
    if not isinstance(comments, list):
        raise RowError("comments", "expected a list")
    for i, c in enumerate(comments[:MAX_COMMENTS]):
        try:
            if not isinstance(c, dict):
                raise RowError(f"comments[{i}]", "expected an object")
            parent = c.get("parent")
            yield CommentRecord(
                comment_id=comment_id(c.get("id"), f"comments[{i}].id"),
                video_id=vid,
                text=text(c.get("text"), f"comments[{i}].text", required=True) or "",
                like_count=count(c.get("like_count"), f"comments[{i}].like_count"),
                parent_comment_id=None
                if absent(parent) or parent == "root"
                else comment_id(parent, f"comments[{i}].parent"),
                create_time=epoch(c.get("timestamp"), f"comments[{i}].timestamp"),
            )
        except RowError as exc:
            yield Skip(line, SkipReason.MALFORMED, f"line {line}: {exc}")


class YtDlpReader(Reader):
    format = ImportFormat.YTDLP
    title = "yt-dlp info.json"

    def missing(self, row: Any) -> list[str]:
        return lacking(row, REQUIRED, ("timestamp", "upload_date"))

    def read(self, row: dict[str, Any], line: int) -> Iterable[Outcome]:
        extractor = str(row.get("extractor_key") or "")
        if extractor.lower() not in TIKTOK_EXTRACTORS:
            why = f"line {line}: a yt-dlp info.json of {extractor[:40]!r}, not TikTok"
            return (Skip(line, SkipReason.NOT_TIKTOK, why, extractor[:40]),)
        vid = video_id(row.get("id"), "id")
        video = VideoRecord(
            video_id=vid,
            url=text(row.get("webpage_url"), "webpage_url", limit=2048),
            username=text(row.get("uploader"), "uploader", limit=255),
            description=text(row.get("description"), "description"),
            create_time=epoch(row.get("timestamp"), "timestamp"),
            view_count=count(row.get("view_count"), "view_count"),
            comment_count=count(row.get("comment_count"), "comment_count"),
        )
        return (video, *_comments(row, vid, line))
