"""Writes of ``harvester import``: videos from exports, where a missing cell never
erases what is already known."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.models import HarvestStatus, Video
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


def upsert_imported_videos(
    session: Session, rows: Sequence[dict[str, Any]], now: datetime
) -> list[str]:
    """Insert videos not seen before, fill in known ones (non-empty cells win);
    returns the ids that were new."""
    if not rows:
        return []
    ids = [r["video_id"] for r in rows]
    known = set(session.scalars(sa.select(Video.video_id).where(Video.video_id.in_(ids))))
    values = [
        {
            "video_id": r["video_id"],
            **{k: r.get(k) for k in VIDEO_FIELDS},
            "discovered_at": now,
            "harvest_status": HarvestStatus.NEW,
        }
        for r in rows
    ]
    stmt = insert_for(session, Video.__table__).values(values)
    table = Video.__table__.c
    stmt = stmt.on_conflict_do_update(
        index_elements=["video_id"],
        set_={k: sa.func.coalesce(getattr(stmt.excluded, k), table[k]) for k in VIDEO_FIELDS},
    )
    session.execute(stmt)
    return [i for i in dict.fromkeys(ids) if i not in known]
