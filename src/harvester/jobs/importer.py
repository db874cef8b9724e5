"""Imports of collectors' files into the pipeline's own tables and its extraction.

A file is parsed once: the checking pass counts its rows and skips and keeps the valid
rows in a spool (memory up to 32 MB, a temporary file beyond), so that a refused file
writes nothing; then the spooled rows are stored in batches, each one transaction that
also stores the domains of the batch's new comments (extracted from the rows in hand,
not read back). Upserts on the post and comment ids make a re-import add nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from harvester.domains import extract
from harvester.jobs.metrics import DOMAINS_NEW, MENTIONS
from harvester.store import Database
from harvester.store.import_writes import (
    insert_comments,
    insert_mentions,
    mark_harvested,
)
from harvester.store.imported import (
    CaptionRow,
    record_caption_mentions,
    upsert_imported_videos,
)
from harvester.store.mentions import refresh_distinct_counts
from harvester.tiktok.imports import (
    ImportFile,
    ImportFormat,
    Outcome,
    Refused,
    Skip,
    VideoRecord,
    detect,
)
from harvester.tiktok.imports.spool import COMMENT_KEYS, CommentCells, Spool, Staged

BATCH = 5_000
# Distinct video/advertiser counts of the touched domains are recounted every this many
# batches and at the end of the file, not every batch (a recount reads every mention of
# a domain: per batch, that grew with the database).
RECOUNT_EVERY = 20
DEFAULT_MAX_BAD = 0.01
SHOWN_ERRORS = 20
COUNTS = ("new_videos", "updated_videos", "new_comments", "promoted_videos")
Progress = Callable[[int, int], None]  # (work done, work in all): the file's bytes, twice
VIDEO_KEYS = tuple(f.name for f in fields(VideoRecord))
_ID, _VIDEO, _TEXT = (COMMENT_KEYS.index(k) for k in ("comment_id", "video_id", "text"))


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
        self._comments: dict[str, CommentCells] = {}
        self._captions: list[CaptionRow] = []
        self.promoted: set[str] = set()
        self._touched: set[int] = set()
        self._batches = 0

    def add(self, row: Staged) -> None:
        """A video, or a comment as its cells (``COMMENT_KEYS`` order)."""
        if isinstance(row, VideoRecord):
            self._add_video(row)
        else:
            self._comments[row[_ID]] = row  # the last copy of a comment wins
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
        """Store the pending rows and the domains of the new comments, in one transaction."""
        if not self._videos and not self._comments:
            return
        now = self._clock()
        comments = list(self._comments.values())
        for c in comments:
            self._videos.setdefault(c[_VIDEO], {"video_id": c[_VIDEO], "collector": self.collector})
        captions, self._captions = self._captions, []
        with self._db.session() as s:
            new, updated = upsert_imported_videos(s, list(self._videos.values()), now)
            fresh = set(insert_comments(s, comments, now, extracted=True))
            added = [c for c in comments if c[_ID] in fresh]
            mark_harvested(s, Counter(c[_VIDEO] for c in added), now)
            caption_domains = record_caption_mentions(s, captions, now)
            mentions = [m for c in added for m in _mentions(c[_ID], c[_VIDEO], c[_TEXT])]
            new_domains, touched, _stored = insert_mentions(s, mentions, now)
            self._touched |= touched
            self._batches += 1
            if self._batches % RECOUNT_EVERY == 0:
                refresh_distinct_counts(s, sorted(self._touched))
                self._touched = set()
        DOMAINS_NEW.inc(len(new_domains))
        MENTIONS.inc(len(mentions))
        r = self.report
        r.new_videos += len(new)
        r.updated_videos += len(updated)
        r.new_comments += len(fresh)
        r.caption_mentions += len({(c.video_id, c.domain) for c in captions})
        r.mentions += len(mentions)
        r.new_domains += len(caption_domains) + len(new_domains)
        self._videos, self._comments = {}, {}

    def recount(self) -> None:
        """Recount the distinct counts of the domains touched since the last recount:
        at the end of the file, and after a failure, for the batches stored so far."""
        if self._touched:
            with self._db.session() as s:
                refresh_distinct_counts(s, sorted(self._touched))
            self._touched = set()


def _mentions(comment_id: str, video_id: str, text: str) -> list[tuple[Any, ...]]:
    """A comment's mentions as ``import_writes.MENTION_COLUMNS`` tuples (as
    ``jobs.functions.extraction.mentions_of`` makes them, without a dataclass per mention)."""
    return [
        (
            comment_id,
            video_id,
            m.domain,
            m.ascii_domain,
            m.host,
            m.matched,
            m.url,
            m.start,
            m.end,
            m.obfuscated,
            m.email,
            m.confidence,
        )
        for m in extract(text).domains
    ]


def _check(report: FileReport, outcomes: Iterable[Outcome], max_bad: float, spool: Spool) -> int:
    """The checking pass: count rows and skips, spool the valid rows; returns how many."""
    first_skip = ""
    for o in outcomes:
        report.rows += 1
        if isinstance(o, Skip):
            report.skipped[o.key] += 1
            first_skip = first_skip or o.detail
            if o.bad and len(report.errors) < SHOWN_ERRORS:
                report.errors.append(str(o))
        else:
            spool.add(o)
    limit = allowed_bad(report.rows, max_bad)
    if report.bad_rows > limit:
        report.refused = (
            f"{report.bad_rows} of {report.rows} rows are malformed, over the limit of {limit} "
            f"(--max-bad): nothing of this file was stored; fix the file or raise the limit"
        )
    elif not spool.count:
        others = ", ".join(f"{k} {n}" for k, n in report.skipped.most_common(5))
        report.refused = (
            f"no TikTok posts or comments in this file ({others or 'no rows'}; {first_skip})"
        )
    return spool.count


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
    with Spool() as spool:
        found = _check(report, _read(source, size, progress), max_bad, spool)
        if not found or report.refused:
            return report
        writer = Writer(db, clock, report)
        try:
            for row in _stored(spool, found, size, progress):
                writer.add(row)
            writer.flush()
        finally:
            writer.recount()
    report.promoted_videos = len(writer.promoted)
    if progress:
        progress(2 * size, 2 * size)
    return report


def _read(source: ImportFile, size: int, progress: Progress | None) -> Iterator[Outcome]:
    """The file's outcomes; progress is the bytes read (the first half of the work)."""
    for n, o in enumerate(source):
        if progress and n % 1000 == 0:
            progress(source.position, 2 * size)
        yield o


def _stored(spool: Spool, found: int, size: int, progress: Progress | None) -> Iterator[Staged]:
    """The spooled rows; progress is the share of them stored (the second half)."""
    for n, row in enumerate(spool):
        if progress and n % 1000 == 0:
            progress(size + size * n // found, 2 * size)
        yield row
