"""Our own documented columns (docs/import.md): canonical names first, then common
aliases; one row is a video or a comment (``kind``, else a comment id or text makes a
comment). Tried last, and never for a row that carries another format's marks — the
alias ``item_id`` once read Zeeschuimer's envelope ids as videos."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from harvester.tiktok.imports.formats import TEXT_CONTAINERS, ImportFormat, Reader
from harvester.tiktok.imports.records import (
    CommentRecord,
    Outcome,
    RowError,
    VideoRecord,
    absent,
    comment_id,
    count,
    iso,
    text,
    video_id,
    video_id_from_url,
)

COMMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "comment_id": ("comment_id", "cid", "id"),
    "video_id": ("video_id", "aweme_id", "item_id"),
    "text": ("text", "comment_text", "comment"),
    "like_count": ("like_count", "digg_count"),
    "reply_count": ("reply_count", "reply_comment_total"),
    "parent_comment_id": ("parent_comment_id",),
    "create_time": ("create_time", "created_at"),
}
VIDEO_COLUMNS: dict[str, tuple[str, ...]] = {
    "video_id": ("video_id", "id", "aweme_id", "item_id"),
    "url": ("url", "video_url", "share_url"),
    "username": ("username", "author", "unique_id"),
    "description": ("description", "video_description", "desc"),
    "create_time": ("create_time", "created_at"),
    "region_code": ("region_code", "region"),
    "view_count": ("view_count", "play_count"),
    "comment_count": ("comment_count",),
    "ad_id": ("ad_id",),
    "advertiser_name": ("advertiser_name", "business_name"),
}
COMMENT_MARKS = ("comment_id", "cid", "text", "comment_text", "comment")
ID_COLUMNS = ("video_id", "comment_id", "id", "cid", "aweme_id", "url", "share_url")
# Marks of the formats above: such a row is theirs, or broken, never ours.
FOREIGN = frozenset(
    {
        "data",
        "source_platform",
        "__import_meta",
        "authorMeta",
        "webVideoUrl",
        "videoWebUrl",
        "extractor_key",
        "thread_id",
        "createTime",
    }
)


def _pick(raw: dict[str, Any], columns: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, aliases in columns.items():
        for alias in aliases:
            v = raw.get(alias)
            if not absent(v):
                out[name] = v
                break
    return out


def _kind(raw: dict[str, Any]) -> str:
    k = str(raw.get("kind") or "").strip().lower()
    if k:
        if k not in ("video", "comment"):
            raise RowError("kind", f"{k[:20]!r} is not video or comment")
        return k
    return "comment" if any(not absent(raw.get(a)) for a in COMMENT_MARKS) else "video"


def _comment(d: dict[str, Any]) -> CommentRecord:
    parent = d.get("parent_comment_id")
    return CommentRecord(
        comment_id=comment_id(d.get("comment_id"), "comment_id"),
        video_id=video_id(d.get("video_id"), "video_id"),
        text=text(d.get("text"), "text", required=True) or "",
        like_count=count(d.get("like_count"), "like_count"),
        reply_count=count(d.get("reply_count"), "reply_count"),
        parent_comment_id=None if parent is None else comment_id(parent, "parent_comment_id"),
        create_time=iso(d.get("create_time"), "create_time"),
    )


def _video(d: dict[str, Any]) -> VideoRecord:
    if "video_id" in d:
        vid = video_id(d["video_id"], "video_id")
    elif "url" in d:
        vid = video_id_from_url(d["url"], "video_id")
    else:
        raise RowError("video_id", "missing (no id and no …/video/<digits> url)")
    ad = d.get("ad_id")
    return VideoRecord(
        video_id=vid,
        url=text(d.get("url"), "url", limit=2048),
        username=text(d.get("username"), "username", limit=255),
        description=text(d.get("description"), "description"),
        create_time=iso(d.get("create_time"), "create_time"),
        region_code=text(d.get("region_code"), "region_code", limit=8),
        view_count=count(d.get("view_count"), "view_count"),
        comment_count=count(d.get("comment_count"), "comment_count"),
        ad_id=text(ad, "ad_id", limit=64),
        advertiser_name=text(d.get("advertiser_name"), "advertiser_name", limit=255),
        promoted=True if ad else None,  # a row naming its ad is a promoted post
    )


class ColumnsReader(Reader):
    format = ImportFormat.COLUMNS
    title = "harvester columns"
    containers = TEXT_CONTAINERS

    def missing(self, row: Any) -> list[str]:
        if not isinstance(row, dict):
            return ["an object"]
        foreign = sorted(FOREIGN & row.keys())
        if foreign:
            return [f"no {k}" for k in foreign]
        if "kind" in row or any(not absent(row.get(k)) for k in ID_COLUMNS):
            return []
        return ["|".join(ID_COLUMNS)]

    def read(self, row: dict[str, Any], line: int) -> Iterable[Outcome]:
        if _kind(row) == "comment":
            return (_comment(_pick(row, COMMENT_COLUMNS)),)
        return (_video(_pick(row, VIDEO_COLUMNS)),)
