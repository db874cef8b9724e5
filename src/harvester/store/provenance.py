"""Where videos and mentions came from: the collector an import recorded on each video
(migration 0005: ``video.collector``, the import format; empty for videos the pipeline
collected itself) and the import file that brought it.

A video names its format, not its file: the file is the import of that format that was
running when the video was first stored (its ``discovered_at`` falls between the file's
start and end); when none fits, only the format is said."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.clock import as_utc
from harvester.store.models import CaptionMention, DomainMention, ImportFile, Video

MAX_FILES = 2000  # import files one page looks at (newest first)


def _files(session: Session, formats: Iterable[str]) -> list[tuple[str, str, Any, Any]]:
    """(format, file name, started, finished) of the newest imports of ``formats``."""
    wanted = sorted(set(formats))
    if not wanted:
        return []
    rows = session.execute(
        sa.select(
            ImportFile.format, ImportFile.file_name, ImportFile.created_at, ImportFile.finished_at
        )
        .where(ImportFile.format.in_(wanted))
        .order_by(ImportFile.created_at.desc())
        .limit(MAX_FILES)
    ).all()
    return [(str(f), n, as_utc(a), as_utc(b)) for f, n, a, b in rows]


def _file_of(files: list[tuple[str, str, Any, Any]], fmt: str, when: datetime | None) -> str | None:
    if when is None:
        return None
    for f, name, started, finished in files:  # newest first
        if f == fmt and started <= when and (finished is None or when <= finished):
            return str(name)
    return None


def video_sources(session: Session, videos: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """video id → ``{"collector": format or None, "file": name or None}`` for ``videos``
    (dicts with ``video_id``, ``collector`` and ``discovered_at``)."""
    files = _files(session, (v["collector"] for v in videos if v.get("collector")))
    out: dict[str, dict[str, Any]] = {}
    for v in videos:
        fmt = v.get("collector")
        name = _file_of(files, fmt, v.get("discovered_at")) if fmt else None
        out[v["video_id"]] = {"collector": fmt, "file": name}
    return out


def domain_sources(session: Session, domain_id: int) -> list[dict[str, Any]]:
    """The sources a domain's mentions came from: per collector (None: collected by the
    pipeline) and import file, the comments and captions that mention it, most first."""
    comments = session.execute(
        sa.select(Video.collector, Video.discovered_at, sa.func.count())
        .select_from(DomainMention)
        .join(Video, Video.video_id == DomainMention.video_id, isouter=True)
        .where(DomainMention.domain_id == domain_id)
        .group_by(Video.collector, Video.discovered_at)
    ).all()
    captions = session.execute(
        sa.select(Video.collector, Video.discovered_at, sa.func.count())
        .select_from(CaptionMention)
        .join(Video, Video.video_id == CaptionMention.video_id)
        .where(CaptionMention.domain_id == domain_id)
        .group_by(Video.collector, Video.discovered_at)
    ).all()
    files = _files(session, (c for c, _, _ in [*comments, *captions] if c))
    tally: dict[tuple[str | None, str | None], dict[str, int]] = {}
    for kind, rows in (("comments", comments), ("captions", captions)):
        for fmt, when, n in rows:
            name = _file_of(files, fmt, as_utc(when)) if fmt else None
            slot = tally.setdefault((fmt, name), {"comments": 0, "captions": 0})
            slot[kind] += int(n)
    found = [{"collector": f, "file": name, **n} for (f, name), n in tally.items()]
    return sorted(found, key=lambda s: (-(s["comments"] + s["captions"]), str(s["collector"])))
