"""What could be harvested next: the quota planner's candidates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.models import Video

BACKLOG_LIMIT = 1000


def harvest_candidates(
    session: Session,
    video_ids: Sequence[str],
    stale_before: datetime,
    backlog_limit: int = BACKLOG_LIMIT,
) -> list[tuple[str, datetime | None, datetime | None]]:
    """``(video_id, discovered_at, last_harvested_at)`` of the videos of ``video_ids``
    that are due (never harvested or stale), plus up to ``backlog_limit`` videos never
    harvested at all (left over by earlier cycles whose quota ran short)."""
    due = sa.or_(Video.last_harvested_at.is_(None), Video.last_harvested_at < stale_before)
    cols = (Video.video_id, Video.discovered_at, Video.last_harvested_at)
    rows = {}
    for chunk in range(0, len(video_ids), 500):
        ids = list(video_ids[chunk : chunk + 500])
        for r in session.execute(sa.select(*cols).where(Video.video_id.in_(ids), due)):
            rows[r[0]] = (r[0], r[1], r[2])
    backlog = (
        sa.select(*cols)
        .where(Video.last_harvested_at.is_(None))
        .order_by(Video.discovered_at.desc())
        .limit(backlog_limit)
    )
    for r in session.execute(backlog):
        rows.setdefault(r[0], (r[0], r[1], r[2]))
    return list(rows.values())
