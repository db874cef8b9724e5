"""The read side for the dashboard, the JSON API and the CLI: one place for the SQL,
keyset pagination on indexed columns."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.models import (
    Alert,
    Comment,
    DeadLetter,
    Domain,
    DomainDay,
    DomainMention,
    HealthCheck,
    JobState,
    JobStatus,
    Video,
)
from harvester.store.writes import as_utc, utcnow


def start_of_day(now: datetime | None = None) -> datetime:
    now = now or utcnow()
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def domains(
    session: Session,
    *,
    q: str | None = None,
    new_today: bool = False,
    after: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Domains by most mentions; ``after`` is the last id of the previous page."""
    stmt = sa.select(Domain)
    if q:
        stmt = stmt.where(Domain.name.contains(q.lower()))
    if new_today:
        stmt = stmt.where(Domain.first_seen_at >= start_of_day())
    if after is not None:
        stmt = stmt.where(Domain.id < after)
    rows = session.scalars(stmt.order_by(Domain.id.desc()).limit(limit))
    return [domain_dict(d) for d in rows]


def domain_dict(d: Domain) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name,
        "ascii_name": d.ascii_name,
        "first_seen_at": as_utc(d.first_seen_at),
        "last_seen_at": as_utc(d.last_seen_at),
        "mention_count": d.mention_count,
    }


def domain_detail(session: Session, name: str, limit: int = 100) -> dict[str, Any] | None:
    d = session.scalar(sa.select(Domain).where(Domain.name == name.lower()))
    if d is None:
        return None
    rows = session.execute(
        sa.select(DomainMention, Comment.text, Video.video_id, Video.advertiser_name)
        .join(Comment, Comment.comment_id == DomainMention.comment_id)
        .join(Video, Video.video_id == Comment.video_id)
        .where(DomainMention.domain_id == d.id)
        .order_by(DomainMention.id.desc())
        .limit(limit)
    ).all()
    mentions = [
        {
            "comment_id": m.comment_id,
            "video_id": vid,
            "advertiser": adv,
            "text": text,
            "span_start": m.span_start,
            "span_end": m.span_end,
            "matched": m.matched,
            "host": m.host,
            "url": m.url,
            "obfuscated": m.obfuscated,
            "email": m.email,
            "confidence": m.confidence,
        }
        for m, text, vid, adv in rows
    ]
    days = session.execute(
        sa.select(DomainDay.day, DomainDay.mention_count)
        .where(DomainDay.domain_id == d.id)
        .order_by(DomainDay.day)
    ).all()
    return {
        **domain_dict(d),
        "mentions": mentions,
        "days": [{"day": day.isoformat(), "mentions": n} for day, n in days],
    }


def videos(session: Session, *, after: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    stmt = sa.select(Video)
    if after:
        stmt = stmt.where(Video.video_id < after)
    return [
        video_dict(v) for v in session.scalars(stmt.order_by(Video.video_id.desc()).limit(limit))
    ]


def video_dict(v: Video) -> dict[str, Any]:
    return {
        "video_id": v.video_id,
        "ad_id": v.ad_id,
        "advertiser_name": v.advertiser_name,
        "region_code": v.region_code,
        "url": v.url,
        "harvest_status": str(v.harvest_status),
        "discovered_at": as_utc(v.discovered_at),
        "last_harvested_at": as_utc(v.last_harvested_at),
        "comments_harvested": v.comments_harvested,
    }


def video_detail(session: Session, video_id: str, limit: int = 200) -> dict[str, Any] | None:
    v = session.get(Video, video_id)
    if v is None:
        return None
    return {**video_dict(v), "comments": comments(session, video_id=video_id, limit=limit)}


def comments(
    session: Session,
    *,
    video_id: str | None = None,
    q: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    stmt = sa.select(Comment)
    if video_id:
        stmt = stmt.where(Comment.video_id == video_id)
    if q:
        stmt = stmt.where(Comment.text.contains(q))
    if after:
        stmt = stmt.where(Comment.comment_id < after)
    rows = list(session.scalars(stmt.order_by(Comment.comment_id.desc()).limit(limit)))
    ids = [c.comment_id for c in rows]
    found: dict[str, list[str]] = {}
    if ids:
        for cid, name in session.execute(
            sa.select(DomainMention.comment_id, Domain.name)
            .join(Domain, Domain.id == DomainMention.domain_id)
            .where(DomainMention.comment_id.in_(ids))
        ):
            found.setdefault(cid, []).append(name)
    return [
        {
            "comment_id": c.comment_id,
            "video_id": c.video_id,
            "text": c.text,
            "like_count": c.like_count,
            "harvested_at": as_utc(c.harvested_at),
            "domains": sorted(found.get(c.comment_id, [])),
        }
        for c in rows
    ]


def overview(session: Session, days: int = 14) -> dict[str, Any]:
    """Headline counts and daily series for the overview page."""
    today = start_of_day()
    since = today - timedelta(days=days - 1)
    count = lambda stmt: int(session.scalar(stmt) or 0)  # noqa: E731
    per_day_domains = session.execute(
        sa.select(sa.func.date(Domain.first_seen_at), sa.func.count())
        .where(Domain.first_seen_at >= since)
        .group_by(sa.func.date(Domain.first_seen_at))
    ).all()
    per_day_comments = session.execute(
        sa.select(sa.func.date(Comment.harvested_at), sa.func.count())
        .where(Comment.harvested_at >= since)
        .group_by(sa.func.date(Comment.harvested_at))
    ).all()
    states = dict(
        session.execute(
            sa.select(JobStatus.state, sa.func.count())
            .where(JobStatus.updated_at >= today - timedelta(days=1))
            .group_by(JobStatus.state)
        )
        .tuples()
        .all()
    )
    done = states.get(JobState.COMPLETED, 0) + states.get(JobState.FAILED, 0)
    return {
        "videos": count(sa.select(sa.func.count()).select_from(Video)),
        "comments": count(sa.select(sa.func.count()).select_from(Comment)),
        "domains": count(sa.select(sa.func.count()).select_from(Domain)),
        "new_domains_today": count(
            sa.select(sa.func.count()).select_from(Domain).where(Domain.first_seen_at >= today)
        ),
        "dead_letters": count(
            sa.select(sa.func.count()).select_from(DeadLetter).where(DeadLetter.status == "pending")
        ),
        "success_rate": round(states.get(JobState.COMPLETED, 0) / done, 4) if done else None,
        "series": _series(since, days, per_day_domains, per_day_comments),
    }


def _series(since: datetime, days: int, dom: Any, com: Any) -> list[dict[str, Any]]:
    d = {str(k): n for k, n in dom}
    c = {str(k): n for k, n in com}
    out = []
    for i in range(days):
        day = (since + timedelta(days=i)).date().isoformat()
        out.append({"day": day, "new_domains": d.get(day, 0), "comments": c.get(day, 0)})
    return out


def dead_letters(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    rows = session.scalars(sa.select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit))
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
            "replay_count": r.replay_count,
        }
        for r in rows
    ]


def alerts(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    rows = session.scalars(sa.select(Alert).order_by(Alert.id.desc()).limit(limit))
    return [
        {
            "id": a.id,
            "key": a.key,
            "severity": str(a.severity),
            "message": a.message,
            "created_at": as_utc(a.created_at),
            "occurrences": a.occurrences,
            "delivered": a.delivered,
        }
        for a in rows
    ]


def latest_health(session: Session) -> dict[str, Any] | None:
    h = session.scalar(sa.select(HealthCheck).order_by(HealthCheck.id.desc()).limit(1))
    if h is None:
        return None
    return {"checked_at": as_utc(h.checked_at), "status": str(h.status), "detail": h.detail}


def today() -> date:
    return start_of_day().date()
