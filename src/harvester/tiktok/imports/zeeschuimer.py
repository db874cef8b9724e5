"""Zeeschuimer's NDJSON (its export and its upload to 4CAT) and TikTokApi's ``as_dict``
JSON: both hold TikTok's web objects, Zeeschuimer's inside an envelope.

Zeeschuimer's envelope: ``{nav_index, item_id, timestamp_collected (ms), last_updated,
source_platform, source_platform_url, source_url, user_agent, data}``. The platform
decides what ``data`` is: ``tiktok.com`` a post, ``tiktok-comments`` a comment; any
other platform (one file may hold several) is skipped and counted. 4CAT's own NDJSON
export of such a dataset flattens it: the envelope under ``__import_meta``, ``data``'s
fields at the top level."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from harvester.tiktok.imports import web_objects
from harvester.tiktok.imports.formats import ImportFormat, Reader, lacking
from harvester.tiktok.imports.records import Outcome, RowError, Skip, SkipReason, epoch

POSTS = "tiktok.com"
COMMENTS = "tiktok-comments"
PLATFORMS = (POSTS, COMMENTS)
ENVELOPE = ("item_id", "source_platform", "data")
ENVELOPE_KEYS = frozenset({*ENVELOPE, "__import_meta", "timestamp_collected", "source_url"})
_ENVELOPE_SET = frozenset(ENVELOPE)


def _envelope(row: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """(envelope, data) of a Zeeschuimer item or of its 4CAT-flattened form."""
    meta = row.get("__import_meta")
    if isinstance(meta, dict):
        return meta, {k: v for k, v in row.items() if k != "__import_meta"}
    return row, row.get("data")


class ZeeschuimerReader(Reader):
    format = ImportFormat.ZEESCHUIMER
    title = "Zeeschuimer NDJSON"

    def missing(self, row: Any) -> list[str]:
        if type(row) is dict and "__import_meta" not in row and row.keys() >= _ENVELOPE_SET:
            return []  # the usual case, first
        if isinstance(row, dict) and isinstance(row.get("__import_meta"), dict):
            return lacking(row["__import_meta"], ("source_platform",))
        return lacking(row, ENVELOPE)

    def read(self, row: dict[str, Any], line: int) -> Iterable[Outcome]:
        envelope, data = _envelope(row)
        platform = envelope.get("source_platform")
        if platform not in PLATFORMS:
            shown = str(platform)[:40] if platform else "(none)"
            why = f"line {line}: an item of {shown}, not TikTok"
            return (Skip(line, SkipReason.OTHER_PLATFORM, why, shown),)
        if not isinstance(data, dict):
            raise RowError("data", f"expected an object, got {type(data).__name__}")
        if platform == COMMENTS:
            if not web_objects.is_comment(data):
                lacks = ", ".join(web_objects.missing_comment(data))
                raise RowError("data", f"a {COMMENTS} item that is not a comment: lacks {lacks}")
            return (web_objects.comment(data),)
        if not web_objects.is_post(data):
            lacks = ", ".join(web_objects.missing_post(data)) or "desc|stats|video"
            raise RowError("data", f"a {POSTS} item that is not a post: lacks {lacks}")
        collected = epoch(envelope.get("timestamp_collected"), "timestamp_collected")
        return (web_objects.post(data, collected),)


class TikTokApiReader(Reader):
    """Rows are the web objects themselves: a post or a comment each, by its shape."""

    format = ImportFormat.TIKTOKAPI
    title = "TikTokApi JSON"

    def missing(self, row: Any) -> list[str]:
        if not isinstance(row, dict):
            return ["an object"]
        if ENVELOPE_KEYS & row.keys():
            return ["no Zeeschuimer envelope"]  # an envelope's data is never read bare
        if web_objects.is_post(row) or web_objects.is_comment(row):
            return []
        return min(
            lacking(row, web_objects.POST_FIELDS, web_objects.POST_HINTS),
            web_objects.missing_comment(row),
            key=len,
        )

    def read(self, row: dict[str, Any], line: int) -> Iterable[Outcome]:
        return (web_objects.either(row),)
