"""Apify's TikTok scraper datasets, downloaded as JSON, CSV or XLSX (CSV and XLSX
flatten nested objects into ``authorMeta/name`` columns).

Posts: ``id, text, createTime, createTimeISO, webVideoUrl, authorMeta{name, …},
isAd, isSponsored, diggCount, shareCount, playCount, commentCount, …``.
Comments: ``cid, text, createTime, createTimeISO, diggCount, replyCommentTotal,
repliesToId, uid, uniqueId, videoWebUrl, …``. Detection asks for the fields that are
Apify's own (``webVideoUrl``, ``videoWebUrl``, ``createTimeISO``), not only common names."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from harvester.tiktok.imports.formats import ALL_CONTAINERS, ImportFormat, Reader, lacking
from harvester.tiktok.imports.records import (
    CommentRecord,
    Outcome,
    VideoRecord,
    absent,
    comment_id,
    count,
    epoch,
    iso,
    text,
    video_id,
    video_id_from_url,
    yes_no,
)

WHEN = ("createTimeISO", "createTime")
POST_FIELDS = ("id", "text", "webVideoUrl")
COMMENT_FIELDS = ("cid", "text", "videoWebUrl")
AD_FIELDS = ("isAd", "isSponsored")


def nested(row: dict[str, Any], parent: str, name: str) -> Any:
    """``row[parent][name]`` from JSON, ``row["parent/name"]`` from Apify's CSV."""
    inner = row.get(parent)
    if isinstance(inner, dict):
        return inner.get(name)
    return row.get(f"{parent}/{name}", row.get(f"{parent}.{name}"))


def _when(row: dict[str, Any]) -> datetime | None:
    if not absent(row.get("createTimeISO")):
        return iso(row["createTimeISO"], "createTimeISO")
    return epoch(row.get("createTime"), "createTime")


def _promoted(row: dict[str, Any]) -> bool | None:
    flags = [yes_no(row.get(f), f) for f in AD_FIELDS]
    if any(flags):
        return True
    return False if any(f is False for f in flags) else None


def _post(row: dict[str, Any]) -> VideoRecord:
    url = text(row.get("webVideoUrl"), "webVideoUrl", limit=2048)
    vid = video_id(row["id"], "id") if not absent(row.get("id")) else None
    return VideoRecord(
        video_id=vid or video_id_from_url(url, "webVideoUrl"),
        url=url,
        username=text(nested(row, "authorMeta", "name"), "authorMeta.name", limit=255),
        description=text(row.get("text"), "text"),
        create_time=_when(row),
        view_count=count(row.get("playCount"), "playCount"),
        comment_count=count(row.get("commentCount"), "commentCount"),
        promoted=_promoted(row),
    )


def _comment(row: dict[str, Any]) -> CommentRecord:
    parent = row.get("repliesToId")
    post = row.get("awemeId", row.get("aweme_id"))
    return CommentRecord(
        comment_id=comment_id(row.get("cid"), "cid"),
        video_id=video_id(post, "awemeId")
        if not absent(post)
        else video_id_from_url(row.get("videoWebUrl"), "videoWebUrl"),
        text=text(row.get("text"), "text", required=True) or "",
        like_count=count(row.get("diggCount"), "diggCount"),
        reply_count=count(row.get("replyCommentTotal"), "replyCommentTotal"),
        parent_comment_id=None if absent(parent) else comment_id(parent, "repliesToId"),
        create_time=_when(row),
    )


class ApifyReader(Reader):
    format = ImportFormat.APIFY
    title = "Apify TikTok dataset"
    containers = ALL_CONTAINERS

    def missing(self, row: Any) -> list[str]:
        if isinstance(row, dict) and "cid" in row:
            return lacking(row, COMMENT_FIELDS, WHEN)
        post = lacking(row, POST_FIELDS, WHEN)
        if isinstance(row, dict) and not any(k.startswith("authorMeta") for k in row):
            post.append("authorMeta")
        return min(post, lacking(row, COMMENT_FIELDS, WHEN), key=len)

    def read(self, row: dict[str, Any], line: int) -> Iterable[Outcome]:
        return (_comment(row) if "cid" in row else _post(row),)
