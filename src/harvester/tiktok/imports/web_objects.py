"""TikTok's own web objects — a post (``itemStruct``/``itemList[]``) and a comment
(``comments[]``) as the web app receives them. Zeeschuimer stores them as its items'
``data``; TikTokApi's ``as_dict`` returns them unchanged. One mapping serves both."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from harvester.tiktok.imports.records import (
    CommentRecord,
    RowError,
    VideoRecord,
    absent,
    comment_id,
    count,
    epoch,
    obj,
    text,
    video_id,
)

# What a post and a comment must carry to be taken for one (detection and per row).
POST_FIELDS = ("id", "createTime", "author")
POST_HINTS = ("desc", "stats", "video", "statsV2", "authorStats")
COMMENT_FIELDS = ("cid", "aweme_id", "text", "create_time")


def is_post(d: dict[str, Any]) -> bool:
    return all(k in d for k in POST_FIELDS) and any(k in d for k in POST_HINTS)


_COMMENT_SET = frozenset(COMMENT_FIELDS)


def is_comment(d: dict[str, Any]) -> bool:
    return d.keys() >= _COMMENT_SET


def missing_post(d: dict[str, Any]) -> list[str]:
    return [k for k in POST_FIELDS if k not in d]


def missing_comment(d: dict[str, Any]) -> list[str]:
    return [k for k in COMMENT_FIELDS if k not in d]


def promoted(d: dict[str, Any]) -> bool:
    """An ad in the feed (``isAd``) or a paid partnership (``adAuthorization``): both are
    paid reach. A post without either flag is organic (the web app omits ``isAd``)."""
    return bool(d.get("isAd")) or bool(d.get("adAuthorization"))


def _author(d: dict[str, Any]) -> str | None:
    a = d.get("author")
    if isinstance(a, dict):  # the API responses
        return text(a.get("uniqueId"), "author.uniqueId", limit=255)
    return text(a, "author", limit=255)  # the page's embedded JSON: a plain username


def post(d: dict[str, Any], collected_at: datetime | None = None) -> VideoRecord:
    """A web post as a video; RowError names the first bad field."""
    vid = video_id(d.get("id"), "id")
    user = _author(d)
    stats = obj(d.get("stats"), "stats")
    stats2 = obj(d.get("statsV2"), "statsV2")  # newer responses: the same counts as strings
    plays = stats.get("playCount", stats2.get("playCount"))
    comments = stats.get("commentCount", stats2.get("commentCount"))
    region = d.get("locationCreated")
    return VideoRecord(
        video_id=vid,
        url=f"https://www.tiktok.com/@{user}/video/{vid}" if user else None,
        username=user,
        description=text(d.get("desc"), "desc"),
        create_time=epoch(d.get("createTime"), "createTime"),
        region_code=region if isinstance(region, str) and 0 < len(region) <= 8 else None,
        view_count=count(plays, "stats.playCount"),
        comment_count=count(comments, "stats.commentCount"),
        promoted=promoted(d),
        collected_at=collected_at,
    )


def comment(d: dict[str, Any]) -> CommentRecord:
    """A web comment; ``reply_id`` is ``"0"`` on a top-level comment, else the parent."""
    parent = d.get("reply_id")
    body = text(d.get("text"), "text", required=True)
    return CommentRecord(
        comment_id=comment_id(d.get("cid"), "cid"),
        video_id=video_id(d.get("aweme_id"), "aweme_id"),
        text=body or "",
        like_count=count(d.get("digg_count"), "digg_count"),
        reply_count=count(d.get("reply_comment_total"), "reply_comment_total"),
        parent_comment_id=None
        if absent(parent) or str(parent) == "0"
        else comment_id(parent, "reply_id"),
        create_time=epoch(d.get("create_time"), "create_time"),
    )


def either(d: dict[str, Any], collected_at: datetime | None = None) -> VideoRecord | CommentRecord:
    """A post or a comment, by its shape; RowError when it is neither."""
    if is_comment(d):
        return comment(d)
    if is_post(d):
        return post(d, collected_at)
    lacks = min((missing_post(d), missing_comment(d)), key=len)
    raise RowError("row", f"neither a TikTok post nor a comment: lacks {', '.join(lacks)}")
