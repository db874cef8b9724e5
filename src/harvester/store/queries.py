"""The read side for the dashboard, the JSON API and the CLI: one place for the SQL.

Lists use keyset pagination on indexed columns (``after`` = the last key of the previous
page), so page 1,000 of 100k rows costs what page 1 costs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store import domain_list, intel
from harvester.store.ads import ad_domains_of_video, links_of_video
from harvester.store.clock import as_utc, iso_day, start_of_day, today, utcnow
from harvester.store.models import (
    Alert,
    Comment,
    DeadLetter,
    Domain,
    DomainDay,
    DomainMention,
    Video,
)

EXPORT_BATCH = 1000
Span = tuple[int, int]


# -- domains ------------------------------------------------------------------------------


def _domain_filter(stmt: Any, q: str | None, new_today: bool) -> Any:
    if q:
        stmt = stmt.where(Domain.name.contains(q.strip().lower(), autoescape=True))
    if new_today:
        stmt = stmt.where(Domain.first_seen_at >= start_of_day())
    return stmt


def domains(
    session: Session,
    *,
    q: str | None = None,
    new_today: bool = False,
    after: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Domains, newest first; ``after`` is the last id of the previous page."""
    stmt = _domain_filter(sa.select(Domain), q, new_today)
    if after is not None:
        stmt = stmt.where(Domain.id < after)
    rows = session.scalars(stmt.order_by(Domain.id.desc()).limit(limit))
    return [domain_dict(d) for d in rows]


def iter_domains(
    session: Session, *, q: str | None = None, new_today: bool = False, limit: int | None = None
) -> Iterator[dict[str, Any]]:
    """Every matching domain in keyset batches (exports: memory stays flat)."""
    after: int | None = None
    sent = 0
    while limit is None or sent < limit:
        size = EXPORT_BATCH if limit is None else min(EXPORT_BATCH, limit - sent)
        page = domains(session, q=q, new_today=new_today, after=after, limit=size)
        yield from page
        sent += len(page)
        if len(page) < size:
            return
        after = page[-1]["id"]


def count_domains(session: Session, *, q: str | None = None, new_today: bool = False) -> int:
    """How many domains match (for progress bars and page headers)."""
    stmt = _domain_filter(sa.select(sa.func.count()).select_from(Domain), q, new_today)
    return int(session.scalar(stmt) or 0)


def domain_dict(d: Domain) -> dict[str, Any]:
    """The public shape of a domain row."""
    return {
        "id": d.id,
        "name": d.name,
        "ascii_name": d.ascii_name,
        "first_seen_at": as_utc(d.first_seen_at),
        "last_seen_at": as_utc(d.last_seen_at),
        "mention_count": d.mention_count,
    }


def domain_detail(
    session: Session, name: str, *, before: int | None = None, limit: int = 50
) -> dict[str, Any] | None:
    """A domain with a page of its mentions (newest first), its videos and daily counts."""
    d = session.scalar(sa.select(Domain).where(Domain.name == name.strip().lower()))
    if d is None:
        return None
    stmt = (
        sa.select(DomainMention, Comment.text, Video.advertiser_name)
        .join(Comment, Comment.comment_id == DomainMention.comment_id)
        .join(Video, Video.video_id == DomainMention.video_id, isouter=True)
        .where(DomainMention.domain_id == d.id)
    )
    if before is not None:
        stmt = stmt.where(DomainMention.id < before)
    rows = session.execute(stmt.order_by(DomainMention.id.desc()).limit(limit)).all()
    mentions = [_mention_dict(m, text, adv) for m, text, adv in rows]
    vids = session.execute(
        sa.select(DomainMention.video_id, Video.advertiser_name, sa.func.count())
        .join(Video, Video.video_id == DomainMention.video_id, isouter=True)
        .where(DomainMention.domain_id == d.id)
        .group_by(DomainMention.video_id, Video.advertiser_name)
        .order_by(sa.func.count().desc())
        .limit(100)
    ).all()
    days = session.execute(
        sa.select(DomainDay.day, DomainDay.mention_count)
        .where(DomainDay.domain_id == d.id)
        .order_by(DomainDay.day)
    ).all()
    return {
        **(domain_list.one(session, d.name) or domain_dict(d)),
        **intel.evidence(session, d.id, d.name),
        "mentions": mentions,
        "next_before": mentions[-1]["id"] if len(mentions) == limit else None,
        "videos": [{"video_id": v, "advertiser": a, "mentions": n} for v, a, n in vids],
        "days": dense_days({iso_day(day): int(n) for day, n in days}, as_utc(d.first_seen_at)),
    }


def dense_days(counts: dict[str, int], first: datetime | None, most: int = 90) -> list[Any]:
    """One point per day from the first sighting (at least 14 days back) to today."""
    end = today()
    start = min((first or utcnow()).date(), end - timedelta(days=13))
    start = max(start, end - timedelta(days=most - 1))
    n = (end - start).days + 1
    days = [(start + timedelta(days=i)).isoformat() for i in range(n)]
    return [{"day": day, "mentions": counts.get(day, 0)} for day in days]


def _mention_dict(m: DomainMention, text: str, advertiser: str | None) -> dict[str, Any]:
    return {
        "id": m.id,
        "comment_id": m.comment_id,
        "video_id": m.video_id,
        "advertiser": advertiser,
        "text": text,
        "span_start": m.span_start,
        "span_end": m.span_end,
        "matched": m.matched,
        "host": m.host,
        "url": m.url,
        "obfuscated": m.obfuscated,
        "email": m.email,
        "confidence": m.confidence,
        "created_at": as_utc(m.created_at),
        "via_url": m.via_url,
    }


# -- videos and comments -----------------------------------------------------------------


def videos(
    session: Session, *, q: str | None = None, after: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Videos by id (descending); ``q`` matches the advertiser name."""
    stmt = sa.select(Video)
    if q:
        stmt = stmt.where(Video.advertiser_name.contains(q.strip(), autoescape=True))
    if after:
        stmt = stmt.where(Video.video_id < after)
    rows = session.scalars(stmt.order_by(Video.video_id.desc()).limit(limit))
    return [video_dict(v) for v in rows]


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
        "comments": comments(session, video_id=video_id, limit=limit),
    }


def comments(
    session: Session,
    *,
    video_id: str | None = None,
    q: str | None = None,
    with_domains: bool = False,
    after: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Comments by id (descending), each with its mention spans for highlighting."""
    stmt = sa.select(Comment)
    if video_id:
        stmt = stmt.where(Comment.video_id == video_id)
    if q:
        stmt = stmt.where(Comment.text.contains(q, autoescape=True))
    if with_domains:
        stmt = stmt.where(sa.exists().where(DomainMention.comment_id == Comment.comment_id))
    if after:
        stmt = stmt.where(Comment.comment_id < after)
    rows = list(session.scalars(stmt.order_by(Comment.comment_id.desc()).limit(limit)))
    found = _mentions_of(session, [c.comment_id for c in rows])
    return [
        {
            "comment_id": c.comment_id,
            "video_id": c.video_id,
            "text": c.text,
            "like_count": c.like_count,
            "create_time": as_utc(c.create_time),
            "harvested_at": as_utc(c.harvested_at),
            "domains": sorted({name for name, _ in found.get(c.comment_id, [])}),
            "spans": sorted(span for _, span in found.get(c.comment_id, [])),
        }
        for c in rows
    ]


def _mentions_of(session: Session, ids: list[str]) -> dict[str, list[tuple[str, Span]]]:
    found: dict[str, list[tuple[str, Span]]] = {}
    if not ids:
        return found
    for cid, name, start, end in session.execute(
        sa.select(
            DomainMention.comment_id, Domain.name, DomainMention.span_start, DomainMention.span_end
        )
        .join(Domain, Domain.id == DomainMention.domain_id)
        .where(DomainMention.comment_id.in_(ids))
    ):
        found.setdefault(cid, []).append((name, (start, end)))
    return found


# -- operations -----------------------------------------------------------------------------


def dead_letters(
    session: Session, *, status: str | None = None, after: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Dead letters, newest first (``status``: pending or replayed)."""
    stmt = sa.select(DeadLetter)
    if status:
        stmt = stmt.where(DeadLetter.status == status)
    if after is not None:
        stmt = stmt.where(DeadLetter.id < after)
    rows = session.scalars(stmt.order_by(DeadLetter.id.desc()).limit(limit))
    return [
        {
            "id": r.id,
            "fn_id": r.fn_id,
            "run_id": r.run_id,
            "event": r.event,
            "error": r.error,
            "attempts": r.attempts,
            "status": str(r.status),
            "created_at": as_utc(r.created_at),
            "replayed_at": as_utc(r.replayed_at),
            "replay_count": r.replay_count,
        }
        for r in rows
    ]


def alerts(
    session: Session, *, severity: str | None = None, after: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Alerts, newest first."""
    stmt = sa.select(Alert)
    if severity:
        stmt = stmt.where(Alert.severity == severity)
    if after is not None:
        stmt = stmt.where(Alert.id < after)
    rows = session.scalars(stmt.order_by(Alert.id.desc()).limit(limit))
    return [
        {
            "id": a.id,
            "key": a.key,
            "severity": str(a.severity),
            "message": a.message,
            "detail": a.detail,
            "created_at": as_utc(a.created_at),
            "occurrences": a.occurrences,
            "delivered": a.delivered,
        }
        for a in rows
    ]
