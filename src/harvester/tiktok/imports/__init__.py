"""The files of the collectors TikTok researchers use — Zeeschuimer, 4CAT, TikTokApi,
Apify, yt-dlp — and our own columns, recognised by shape and read as a stream of
videos, comments and skips (docs/import.md)."""

from harvester.tiktok.imports.containers import Container
from harvester.tiktok.imports.detect import READERS, Detected, ImportFile, Refused, detect
from harvester.tiktok.imports.formats import ImportFormat, Reader
from harvester.tiktok.imports.records import (
    CommentRecord,
    Outcome,
    Skip,
    SkipReason,
    VideoRecord,
)

__all__ = [
    "READERS",
    "CommentRecord",
    "Container",
    "Detected",
    "ImportFile",
    "ImportFormat",
    "Outcome",
    "Reader",
    "Refused",
    "Skip",
    "SkipReason",
    "VideoRecord",
    "detect",
]
