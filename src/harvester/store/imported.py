"""Writes of imports: videos from exports (a missing cell never erases what is known, a
post once seen as promoted stays promoted), caption mentions, and the import files'
state that the CLI, the upload page and Zeeschuimer's ``check-query`` read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.domains import ensure_domains
from harvester.store.list_order import order_by
from harvester.store.models import (
    CaptionMention,
    Comment,
    Domain,
    HarvestStatus,
    ImportFile,
    Video,
)
from harvester.store.upsert import insert_for

VIDEO_FIELDS = (
    "url",
    "username",
    "description",
    "create_time",
    "region_code",
    "view_count",
    "comment_count",
    "ad_id",
    "advertiser_name",
)
FIRST_WINS = ("collector", "collected_at")  # provenance: who brought the post first


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, datetime) and isinstance(new, datetime):
        old = old if old.tzinfo else old.replace(tzinfo=UTC)
        return bool(old == new)
    return bool(old == new)


def _changed(known: dict[str, Any], row: dict[str, Any]) -> bool:
    """Would this row change a stored video (a non-empty cell that differs)?"""
    if row.get("promoted") and not known.get("promoted"):
        return True
    if row.get("promoted") is False and known.get("promoted") is None:
        return True
    return any(row.get(k) is not None and not _same(known.get(k), row[k]) for k in VIDEO_FIELDS)


def upsert_imported_videos(
    session: Session, rows: Sequence[dict[str, Any]], now: datetime
) -> tuple[list[str], list[str]]:
    """Insert videos not seen before, fill in known ones (non-empty cells win);
    returns (the ids that were new, the known ids whose data changed)."""
    if not rows:
        return [], []
    ids = [r["video_id"] for r in rows]
    cols = [Video.video_id, Video.promoted, *(getattr(Video, k) for k in VIDEO_FIELDS)]
    known = {
        r.video_id: r._asdict()
        for r in session.execute(sa.select(*cols).where(Video.video_id.in_(ids)))
    }
    values = [
        {
            "video_id": r["video_id"],
            **{k: r.get(k) for k in (*VIDEO_FIELDS, "promoted", *FIRST_WINS)},
            "discovered_at": now,
            "harvest_status": HarvestStatus.NEW,
        }
        for r in rows
    ]
    stmt = insert_for(session, Video.__table__)  # executemany: compiled once, cached
    table = Video.__table__.c
    ex = stmt.excluded
    update: dict[str, Any] = {k: sa.func.coalesce(getattr(ex, k), table[k]) for k in VIDEO_FIELDS}
    update |= {k: sa.func.coalesce(table[k], getattr(ex, k)) for k in FIRST_WINS}
    update["promoted"] = sa.case(
        (ex.promoted == sa.true(), sa.true()), else_=sa.func.coalesce(table.promoted, ex.promoted)
    )
    session.execute(stmt.on_conflict_do_update(index_elements=["video_id"], set_=update), values)
    new = [i for i in dict.fromkeys(ids) if i not in known]
    updated = [
        r["video_id"] for r in rows if r["video_id"] in known and _changed(known[r["video_id"]], r)
    ]
    return new, list(dict.fromkeys(updated))


def upsert_imported_comments(
    session: Session, rows: Sequence[dict[str, Any]], now: datetime, *, extracted: bool = False
) -> list[str]:
    """Insert comments not seen before (of any videos, in one statement); known ones
    get their counts refreshed. Returns the ids that were new. ``extracted``: the caller
    stores the new ones' mentions in this transaction, so they are marked extracted."""
    if not rows:
        return []
    ids = [r["comment_id"] for r in rows]
    known = set(session.scalars(sa.select(Comment.comment_id).where(Comment.comment_id.in_(ids))))
    stmt = insert_for(session, Comment.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=["comment_id"],
        set_={"like_count": stmt.excluded.like_count, "reply_count": stmt.excluded.reply_count},
    )
    stamp = {"harvested_at": now, "extracted_at": now if extracted else None}
    session.execute(stmt, [r | stamp for r in rows])
    return [i for i in dict.fromkeys(ids) if i not in known]


@dataclass(frozen=True)
class CaptionRow:
    video_id: str
    domain: str
    ascii_domain: str
    host: str
    matched: str
    url: str | None


def record_caption_mentions(
    session: Session, rows: Sequence[CaptionRow], now: datetime
) -> list[str]:
    """Store each (video, domain) of a caption once; returns the domains first seen."""
    if not rows:
        return []
    ids, new_domains = ensure_domains(session, {r.domain: r.ascii_domain for r in rows}, now)
    values = {
        (r.video_id, ids[r.domain]): {
            "video_id": r.video_id,
            "domain_id": ids[r.domain],
            "host": r.host[:255],
            "matched": r.matched,
            "url": r.url,
            "created_at": now,
        }
        for r in rows
    }
    stmt = insert_for(session, CaptionMention.__table__)
    stmt = stmt.on_conflict_do_nothing(index_elements=["video_id", "domain_id"])
    session.execute(stmt, list(values.values()))
    return sorted(new_domains)


def caption_domains_of_video(session: Session, video_id: str) -> list[str]:
    """The domains of a post's caption, by name."""
    q = (
        sa.select(Domain.name)
        .join(CaptionMention, CaptionMention.domain_id == Domain.id)
        .where(CaptionMention.video_id == video_id)
        .order_by(Domain.name)
    )
    return list(session.scalars(q))


# --- import files -----------------------------------------------------------------

IMPORT_FIELDS = (
    "id",
    "file_name",
    "origin",
    "platform",
    "format",
    "state",
    "size",
    "done_bytes",
    "rows",
    "path",
    "report",
    "error",
    "created_at",
    "finished_at",
)


def create_import(session: Session, **values: Any) -> None:
    """A new import file row (``id``, ``file_name``, ``origin``, ``state``, …)."""
    session.add(ImportFile(**values))


def update_import(session: Session, import_id: str, **values: Any) -> None:
    session.execute(sa.update(ImportFile).where(ImportFile.id == import_id).values(**values))


def get_import(session: Session, import_id: str) -> dict[str, Any] | None:
    row = session.get(ImportFile, import_id)
    return {k: getattr(row, k) for k in IMPORT_FIELDS} if row else None


# The columns the imports list sorts by (its report's counts live in JSON: not sortable).
IMPORT_SORTS = {
    "when": ImportFile.created_at,
    "file": ImportFile.file_name,
    "source": ImportFile.origin,
    "format": ImportFile.format,
    "state": ImportFile.state,
    "size": ImportFile.size,
}


def recent_imports(
    session: Session,
    limit: int = 20,
    *,
    sort: str = "when",
    descending: bool = True,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """A page of the import files, newest first unless sorted otherwise."""
    q = order_by(sa.select(ImportFile), IMPORT_SORTS, sort, descending, ImportFile.id)
    q = q.offset(offset).limit(limit)
    return [{k: getattr(r, k) for k in IMPORT_FIELDS} for r in session.scalars(q)]


def count_imports(session: Session) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(ImportFile)) or 0)
