"""4CAT's CSV exports of its ``tiktok`` and ``tiktok-comments`` data sources (the
columns of their ``map_item``; 4CAT adds columns over time, and extra ones are fine).

Posts: ``id, thread_id, author, author_full, author_id, body, timestamp,
unix_timestamp, is_duet, is_ad ("yes"/"no"), music_name, tiktok_url, likes, comments,
shares, plays, hashtags, …`` (newer versions add ``is_paid_partnership``).
Comments: ``id, thread_id, author, author_full, body, timestamp, unix_timestamp, likes,
replies, post_id, post_url, comment_url, is_comment_on_comment, language_guess, …``;
``thread_id`` is the post for a top-level comment and the parent comment for a reply."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from harvester.tiktok.imports.containers import Container
from harvester.tiktok.imports.formats import ImportFormat, Reader, lacking
from harvester.tiktok.imports.records import (
    CommentRecord,
    Outcome,
    RowError,
    VideoRecord,
    absent,
    comment_id,
    count,
    epoch,
    text,
    video_id,
    yes_no,
)

COMMON = ("id", "thread_id", "author", "body", "timestamp")
POST_MARKS = ("tiktok_url", "plays", "is_duet", "music_name")
COMMENT_MARKS = ("post_url", "comment_url", "is_comment_on_comment")
AD_COLUMNS = ("is_ad", "is_paid_partnership")


def _when(row: dict[str, Any]) -> datetime | None:
    """``unix_timestamp`` when present; else ``timestamp`` as 4CAT writes it (UTC)."""
    if not absent(row.get("unix_timestamp")):
        return epoch(row["unix_timestamp"], "unix_timestamp")
    stamp = row.get("timestamp")
    if absent(stamp):
        return None
    try:
        return datetime.strptime(str(stamp), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise RowError("timestamp", f"expected YYYY-MM-DD HH:MM:SS, got {stamp!r}") from exc


def _promoted(row: dict[str, Any]) -> bool | None:
    flags = [yes_no(row.get(c), c) for c in AD_COLUMNS]
    if any(flags):
        return True
    return False if any(f is False for f in flags) else None


def _post(row: dict[str, Any]) -> VideoRecord:
    return VideoRecord(
        video_id=video_id(row.get("id"), "id"),
        url=text(row.get("tiktok_url"), "tiktok_url", limit=2048),
        username=text(row.get("author"), "author", limit=255),
        description=text(row.get("body"), "body"),
        create_time=_when(row),
        view_count=count(row.get("plays"), "plays"),
        comment_count=count(row.get("comments"), "comments"),
        promoted=_promoted(row),
    )


def _comment(row: dict[str, Any]) -> CommentRecord:
    reply = yes_no(row.get("is_comment_on_comment"), "is_comment_on_comment")
    parent = comment_id(row.get("thread_id"), "thread_id") if reply else None
    return CommentRecord(
        comment_id=comment_id(row.get("id"), "id"),
        video_id=video_id(row.get("post_id"), "post_id"),
        text=text(row.get("body"), "body", required=True) or "",
        like_count=count(row.get("likes"), "likes"),
        reply_count=count(row.get("replies"), "replies"),
        parent_comment_id=parent,
        create_time=_when(row),
    )


class FourCatReader(Reader):
    format = ImportFormat.FOURCAT
    title = "4CAT CSV"
    containers = frozenset({Container.CSV})

    def missing(self, row: Any) -> list[str]:
        if isinstance(row, dict) and "post_id" in row:
            return lacking(row, COMMON, COMMENT_MARKS)
        return min(
            lacking(row, COMMON, POST_MARKS),
            lacking(row, (*COMMON, "post_id"), COMMENT_MARKS),
            key=len,
        )

    def read(self, row: dict[str, Any], line: int) -> Iterable[Outcome]:
        return (_comment(row) if "post_id" in row else _post(row),)
