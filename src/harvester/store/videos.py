"""Videos: discovered, refreshed, harvested; and the pages that list them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.ads import ad_domains_of_video, links_of_video
from harvester.store.clock import as_utc
from harvester.store.comments import comments_page
from harvester.store.list_order import order_by
from harvester.store.models import Video
from harvester.store.states import HarvestStatus
from harvester.store.upsert import insert_for


def upsert_videos(session: Session, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Insert new videos; refresh the descriptive fields of known ones."""
    if not rows:
        return
    values = [{**r, "discovered_at": now, "harvest_status": HarvestStatus.NEW} for r in rows]
    stmt = insert_for(session, Video.__table__).values(values)
    refreshed = ("advertiser_name", "description", "view_count", "comment_count", "url")
    stmt = stmt.on_conflict_do_update(
        index_elements=["video_id"], set_={k: getattr(stmt.excluded, k) for k in refreshed}
    )
    session.execute(stmt)


def videos_due_for_harvest(
    session: Session, video_ids: Sequence[str], stale_before: datetime
) -> list[str]:
    """Of ``video_ids``, those never harvested or harvested before ``stale_before``."""
    if not video_ids:
        return []
    rows = session.execute(
        sa.select(Video.video_id).where(
            Video.video_id.in_(video_ids),
            sa.or_(Video.last_harvested_at.is_(None), Video.last_harvested_at < stale_before),
        )
    )
    return sorted(r[0] for r in rows)


def mark_video_harvested(session: Session, video_id: str, count: int, now: datetime) -> None:
    session.execute(
        sa.update(Video)
        .where(Video.video_id == video_id)
        .values(
            harvest_status=HarvestStatus.HARVESTED,
            last_harvested_at=now,
            comments_harvested=Video.comments_harvested + count,
        )
    )


# The videos list's sort keys (the dashboard's column headers) and their columns.
VIDEO_SORTS: dict[str, Any] = {
    "video": Video.video_id,
    "advertiser": Video.advertiser_name,
    "region": Video.region_code,
    "status": Video.harvest_status,
    "comments": Video.comments_harvested,
    "source": Video.collector,
    "discovered": Video.discovered_at,
    "harvested": Video.last_harvested_at,
}


def _video_filter(stmt: Any, q: str | None) -> Any:
    if q:
        stmt = stmt.where(Video.advertiser_name.contains(q.strip(), autoescape=True))
    return stmt


def videos_page(
    session: Session,
    *,
    q: str | None = None,
    after: str | None = None,
    limit: int = 50,
    sort: str = "video",
    descending: bool = True,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Videos in ``sort`` order (a key of ``VIDEO_SORTS``; the id breaks ties);
    ``q`` matches the advertiser name; ``after`` (an id) pages the default order."""
    stmt = _video_filter(sa.select(Video), q)
    if after:
        stmt = stmt.where(Video.video_id < after)
    stmt = order_by(stmt, VIDEO_SORTS, sort, descending, Video.video_id)
    rows = session.scalars(stmt.offset(offset).limit(limit))
    return [video_dict(v) for v in rows]


def count_videos(session: Session, *, q: str | None = None) -> int:
    """How many videos ``videos_page`` would list over all its pages."""
    stmt = _video_filter(sa.select(sa.func.count()).select_from(Video), q)
    return int(session.scalar(stmt) or 0)


def video_dict(v: Video) -> dict[str, Any]:
    """The public shape of a video row."""
    return {
        "video_id": v.video_id,
        "ad_id": v.ad_id,
        "advertiser_name": v.advertiser_name,
        "region_code": v.region_code,
        "username": v.username,
        "description": v.description,
        "url": v.url,
        "view_count": v.view_count,
        "harvest_status": str(v.harvest_status),
        "discovered_at": as_utc(v.discovered_at),
        "last_harvested_at": as_utc(v.last_harvested_at),
        "comments_harvested": v.comments_harvested,
        "collector": v.collector,
    }


def video_detail(session: Session, video_id: str, limit: int = 200) -> dict[str, Any] | None:
    """A video with its comments (and the domains each mentions)."""
    v = session.get(Video, video_id)
    if v is None:
        return None
    return {
        **video_dict(v),
        "harvest_reason": v.harvest_reason,
        "links": links_of_video(session, video_id),
        "ad_domains": ad_domains_of_video(session, video_id),
        "comments": comments_page(session, video_id=video_id, limit=limit),
    }
