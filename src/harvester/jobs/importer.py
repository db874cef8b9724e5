"""Imports of collectors' files into the pipeline's own tables and its extraction.

A file is read twice: first to check it (format, bad rows, any TikTok rows at all), so
that a refused file writes nothing; then to store it in batches of valid rows, each
batch one transaction followed by the extraction of its new comments. Upserts on the
post and comment ids make a re-import add nothing. Small files are read once and kept."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from harvester.domains import extract
from harvester.jobs.extraction import extract_pending
from harvester.store import Database
from harvester.store.imported import (
    CaptionRow,
    record_caption_mentions,
    upsert_imported_comments,
    upsert_imported_videos,
)
from harvester.store.videos import mark_video_harvested
from harvester.tiktok.imports import (
    CommentRecord,
    ImportFile,
    ImportFormat,
    Outcome,
    Refused,
    Skip,
    VideoRecord,
    detect,
)

BATCH = 2_000
KEEP_BYTES = 32 * 1024 * 1024  # files up to this size are parsed once and kept in memory
DEFAULT_MAX_BAD = 0.01
SHOWN_ERRORS = 20
COUNTS = ("new_videos", "updated_videos", "new_comments", "promoted_videos")
Progress = Callable[[int, int], None]  # (bytes done, bytes in all) over both readings
VIDEO_KEYS = tuple(f.name for f in fields(VideoRecord))
COMMENT_KEYS = tuple(f.name for f in fields(CommentRecord))


@dataclass
class FileReport:
    """What one file gave; ``as_dict`` is its entry in ``import --json``."""

    file: str
    format: str | None = None
    rows: int = 0
    new_videos: int = 0
    updated_videos: int = 0
    new_comments: int = 0
    promoted_videos: int = 0
    mentions: int = 0
    caption_mentions: int = 0
    new_domains: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    refused: str | None = None

    @property
    def bad_rows(self) -> int:
        return self.skipped.get("malformed", 0)

    @property
    def added(self) -> int:
        return self.new_videos + self.updated_videos + self.new_comments

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            **{k: getattr(self, k) for k in COUNTS},
            "skipped": dict(self.skipped),
            "rows": self.rows,
            "mentions": self.mentions,
            "caption_mentions": self.caption_mentions,
            "new_domains": self.new_domains,
            "refused": self.refused,
            "errors": self.errors,
        }


def totals(reports: Iterable[FileReport]) -> dict[str, Any]:
    """The report of several files: the same keys summed, and each file under ``files``."""
    files = list(reports)
    skipped: Counter[str] = Counter()
    for r in files:
        skipped.update(r.skipped)
    keys = (*COUNTS, "rows", "mentions", "caption_mentions", "new_domains")
    out: dict[str, Any] = {k: sum(getattr(r, k) for r in files) for k in keys}
    out["skipped"] = dict(skipped)
    out["refused_files"] = sum(1 for r in files if r.refused)
    out["files"] = [r.as_dict() for r in files]
    return out


def allowed_bad(rows: int, max_bad: float) -> int:
    """Bad rows a file may hold: a fraction of its rows (< 1) or a count (≥ 1)."""
    return int(max_bad) if max_bad >= 1 else int(rows * max_bad)


class Writer:
    """Collects valid rows of one file and stores them a batch at a time."""

    def __init__(self, db: Database, clock: Callable[[], datetime], report: FileReport) -> None:
        self._db, self._clock, self.report = db, clock, report
        self.collector = report.format or "import"
        self._videos: dict[str, dict[str, Any]] = {}
        self._comments: dict[str, CommentRecord] = {}
        self._captions: list[CaptionRow] = []
        self.promoted: set[str] = set()

    def add(self, row: VideoRecord | CommentRecord) -> None:
        if isinstance(row, VideoRecord):
            self._add_video(row)
        else:
            self._comments[row.comment_id] = row  # the last copy of a comment wins
        if len(self._videos) + len(self._comments) >= BATCH:
            self.flush()

    def _add_video(self, v: VideoRecord) -> None:
        cells = {k: x for k in VIDEO_KEYS if (x := getattr(v, k)) is not None}
        prior = self._videos.get(v.video_id, {})
        if prior.get("promoted"):
            cells["promoted"] = True
        self._videos[v.video_id] = {**prior, **cells, "collector": self.collector}
        if v.promoted:
            self.promoted.add(v.video_id)
        if v.description:
            self._captions += [
                CaptionRow(v.video_id, m.domain, m.ascii_domain, m.host, m.matched, m.url)
                for m in extract(v.description).domains
                if not m.email
            ]

    def flush(self) -> None:
        """Store the pending rows in one transaction, then extract their domains."""
        if not self._videos and not self._comments:
            return
        now = self._clock()
        collector = self.collector
        rows = [{k: getattr(c, k) for k in COMMENT_KEYS} for c in self._comments.values()]
        for c in self._comments.values():
            self._videos.setdefault(c.video_id, {"video_id": c.video_id, "collector": collector})
        with self._db.session() as s:
            new, updated = upsert_imported_videos(s, list(self._videos.values()), now)
            new_ids = upsert_imported_comments(s, rows, now)
            fresh = set(new_ids)
            per_video = Counter(
                c.video_id for c in self._comments.values() if c.comment_id in fresh
            )
            for vid, n in per_video.items():
                mark_video_harvested(s, vid, n, now)
            captions, self._captions = self._captions, []
            self.report.new_domains += len(record_caption_mentions(s, captions, now))
        self.report.new_videos += len(new)
        self.report.updated_videos += len(updated)
        self.report.new_comments += len(new_ids)
        self.report.caption_mentions += len({(c.video_id, c.domain) for c in captions})
        self._videos, self._comments = {}, {}
        if new_ids:
            out = extract_pending(self._db, self._clock, new_ids)
            self.report.mentions += out["mentions"]
            self.report.new_domains += out["new_domain_count"]


def _check(report: FileReport, outcomes: Iterable[Outcome], max_bad: float) -> int:
    """First reading: count rows and skips; returns the TikTok rows found."""
    found, first_skip = 0, ""
    for o in outcomes:
        report.rows += 1
        if isinstance(o, Skip):
            report.skipped[o.key] += 1
            first_skip = first_skip or o.detail
            if o.bad and len(report.errors) < SHOWN_ERRORS:
                report.errors.append(str(o))
        else:
            found += 1
    limit = allowed_bad(report.rows, max_bad)
    if report.bad_rows > limit:
        report.refused = (
            f"{report.bad_rows} of {report.rows} rows are malformed, over the limit of {limit} "
            f"(--max-bad): nothing of this file was stored; fix the file or raise the limit"
        )
    elif not found:
        others = ", ".join(f"{k} {n}" for k, n in report.skipped.most_common(5))
        report.refused = (
            f"no TikTok posts or comments in this file ({others or 'no rows'}; {first_skip})"
        )
    return found


def import_path(
    db: Database,
    clock: Callable[[], datetime],
    path: Path,
    *,
    name: str | None = None,
    forced: ImportFormat | None = None,
    max_bad: float = DEFAULT_MAX_BAD,
    progress: Progress | None = None,
) -> FileReport:
    """Import one file; a refused file (format, bad rows, no TikTok rows) stores nothing."""
    report = FileReport(file=name or path.name)
    try:
        detected = detect(path, forced)
    except Refused as exc:
        report.refused = str(exc)
        return report
    report.format = str(detected.reader.format)
    source = ImportFile(path, detected)
    size = max(path.stat().st_size, 1)
    kept: list[Outcome] | None = [] if size <= KEEP_BYTES else None
    first = _tracked(source, 0, size, progress, kept)
    if not _check(report, first, max_bad) or report.refused:
        return report
    writer = Writer(db, clock, report)
    rows = kept if kept is not None else _tracked(source, size, size, progress, None)
    for o in rows:
        if not isinstance(o, Skip):
            writer.add(o)
    writer.flush()
    report.promoted_videos = len(writer.promoted)
    if progress:
        progress(2 * size, 2 * size)
    return report


def _tracked(
    source: ImportFile, base: int, size: int, progress: Progress | None, keep: list[Outcome] | None
) -> Iterable[Outcome]:
    for n, o in enumerate(source):
        if keep is not None:
            keep.append(o)
        if progress and n % 1000 == 0:
            progress(base + source.position, 2 * size)
        yield o
