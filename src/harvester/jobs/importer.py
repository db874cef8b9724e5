"""``harvester import``: scraper exports fed into the pipeline's own tables and its
extraction, idempotently (upserts on video and comment ids; a comment is extracted
once), in batches of valid rows — a refused row stores nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harvester.jobs.extraction import extract_pending
from harvester.store import Database
from harvester.store.comments import upsert_comments
from harvester.store.imported import upsert_imported_videos
from harvester.store.videos import mark_video_harvested
from harvester.tiktok.exports import ImportedComment, ImportedVideo, RowError

BATCH = 500


@dataclass
class ImportReport:
    rows: int = 0
    new_videos: int = 0
    new_comments: int = 0
    mentions: int = 0
    new_domains: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.errors)


def _comment_row(c: ImportedComment) -> dict[str, Any]:
    return {
        "comment_id": c.comment_id,
        "text": c.text,
        "like_count": c.like_count,
        "reply_count": c.reply_count,
        "parent_comment_id": c.parent_comment_id,
        "create_time": c.create_time,
    }


class Importer:
    """Collects valid rows and stores them a batch at a time."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock
        self._videos: dict[str, dict[str, Any]] = {}
        self._comments: dict[str, ImportedComment] = {}
        self.report = ImportReport()

    def add(self, row: ImportedVideo | ImportedComment | None, error: RowError | None) -> None:
        self.report.rows += 1
        if error is not None:
            self.report.errors.append(error)
        elif isinstance(row, ImportedVideo):
            prior = self._videos.get(row.video_id, {})
            self._videos[row.video_id] = {**prior, **row.model_dump(exclude_none=True)}
        elif isinstance(row, ImportedComment):
            self._comments[row.comment_id] = row  # the last copy of a comment wins
        if len(self._videos) + len(self._comments) >= BATCH:
            self.flush()

    def add_all(
        self, rows: Iterable[tuple[ImportedVideo | ImportedComment | None, RowError | None]]
    ) -> None:
        for row, error in rows:
            self.add(row, error)

    def flush(self) -> None:
        """Store the pending rows in one transaction, then extract their domains."""
        if not self._videos and not self._comments:
            return
        now = self._clock()
        by_video: dict[str, list[dict[str, Any]]] = {}
        for c in self._comments.values():
            by_video.setdefault(c.video_id, []).append(_comment_row(c))
            self._videos.setdefault(c.video_id, {"video_id": c.video_id})
        new_ids: list[str] = []
        with self._db.session() as s:
            self.report.new_videos += len(
                upsert_imported_videos(s, list(self._videos.values()), now)
            )
            for vid, rows in by_video.items():
                fresh = upsert_comments(s, vid, rows, now)
                new_ids += fresh
                if fresh:
                    mark_video_harvested(s, vid, len(fresh), now)
        self.report.new_comments += len(new_ids)
        ids = [c.comment_id for c in self._comments.values()]
        self._videos, self._comments = {}, {}
        if ids:
            out = extract_pending(self._db, self._clock, ids)
            self.report.mentions += out["mentions"]
            self.report.new_domains += out["new_domain_count"]
