"""The write side of the harvester's data: every function here is an idempotent upsert
on a natural key, so a retried or replayed step never duplicates a row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.domains.hosts import host_kind
from harvester.store.clock import utcnow
from harvester.store.models import (
    Comment,
    DeadLetter,
    DeadLetterStatus,
    Domain,
    DomainDay,
    DomainMention,
    HarvestStatus,
    JobState,
    JobStatus,
    Setting,
    Video,
)
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


def upsert_comments(
    session: Session, video_id: str, rows: Sequence[dict[str, Any]], now: datetime
) -> list[str]:
    """Insert comments not seen before; returns the ids that were new."""
    if not rows:
        return []
    ids = [r["comment_id"] for r in rows]
    known = set(session.scalars(sa.select(Comment.comment_id).where(Comment.comment_id.in_(ids))))
    values = [{**r, "video_id": video_id, "harvested_at": now} for r in rows]
    stmt = insert_for(session, Comment.__table__).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["comment_id"],
        set_={"like_count": stmt.excluded.like_count, "reply_count": stmt.excluded.reply_count},
    )
    session.execute(stmt)
    return [i for i in dict.fromkeys(ids) if i not in known]


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


@dataclass(frozen=True)
class MentionRow:
    """One extracted mention, ready to store (plain values, no domain-layer types)."""

    comment_id: str
    video_id: str
    domain: str
    ascii_domain: str
    host: str
    matched: str
    url: str | None
    span_start: int
    span_end: int
    obfuscated: bool
    email: bool
    confidence: float
    via_url: str | None = None


def _ensure_domains(
    session: Session, mentions: Sequence[MentionRow], now: datetime, flagged: frozenset[str]
) -> tuple[dict[str, int], set[str]]:
    return ensure_domains(session, {m.domain: m.ascii_domain for m in mentions}, now, flagged)


def ensure_domains(
    session: Session,
    names: dict[str, str],
    now: datetime,
    flagged: frozenset[str] = frozenset(),
) -> tuple[dict[str, int], set[str]]:
    """Ids of the domains ``names`` (Unicode → ASCII), inserting the new ones (those
    of ``flagged``, a configured blocklist, marked ``blocklisted``)."""
    existing = {
        n: i
        for n, i in session.execute(sa.select(Domain.name, Domain.id).where(Domain.name.in_(names)))
    }
    new = sorted(set(names) - set(existing))
    if new:
        stmt = insert_for(session, Domain.__table__).values(
            [
                {
                    "name": n,
                    "ascii_name": names[n],
                    "first_seen_at": now,
                    "last_seen_at": now,
                    "mention_count": 0,
                    "kind": host_kind(n).value,
                    "blocklisted": n in flagged or names[n] in flagged,
                }
                for n in new
            ]
        )
        session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
        existing = {
            n: i
            for n, i in session.execute(
                sa.select(Domain.name, Domain.id).where(Domain.name.in_(names))
            )
        }
    return existing, set(new)


def record_mentions(
    session: Session,
    mentions: Sequence[MentionRow],
    now: datetime,
    *,
    flagged: frozenset[str] = frozenset(),
) -> list[str]:
    """Store mentions once per (comment, domain); bump counts only for new mentions.
    ``flagged``: domains of a configured blocklist, marked ``blocklisted`` when created.

    Returns the domain names first seen by this call.
    """
    if not mentions:
        return []
    ids, new_domains = _ensure_domains(session, mentions, now, flagged)
    comment_ids = {m.comment_id for m in mentions}
    already = set(
        session.execute(
            sa.select(DomainMention.comment_id, DomainMention.domain_id).where(
                DomainMention.comment_id.in_(comment_ids)
            )
        ).tuples()
    )
    fresh: dict[tuple[str, int], MentionRow] = {}
    for m in mentions:
        key = (m.comment_id, ids[m.domain])
        if key not in already and key not in fresh:
            fresh[key] = m
    if fresh:
        _insert_mentions(session, fresh, now)
    return sorted(new_domains)


def _insert_mentions(
    session: Session, fresh: dict[tuple[str, int], MentionRow], now: datetime
) -> None:
    rows = [
        {
            "comment_id": c,
            "domain_id": d,
            "video_id": m.video_id,
            "host": m.host,
            "matched": m.matched,
            "url": m.url,
            "span_start": m.span_start,
            "span_end": m.span_end,
            "obfuscated": m.obfuscated,
            "email": m.email,
            "confidence": m.confidence,
            "created_at": now,
            "via_url": m.via_url,
        }
        for (c, d), m in fresh.items()
    ]
    stmt = insert_for(session, DomainMention.__table__).values(rows)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["comment_id", "domain_id"]))
    per_domain: dict[int, int] = {}
    for _c, d in fresh:
        per_domain[d] = per_domain.get(d, 0) + 1
    day = now.date()
    for domain_id, n in per_domain.items():
        session.execute(
            sa.update(Domain)
            .where(Domain.id == domain_id)
            .values(mention_count=Domain.mention_count + n, last_seen_at=now)
        )
        _bump_day(session, domain_id, day, n)
    refresh_distinct_counts(session, list(per_domain))


def refresh_distinct_counts(session: Session, domain_ids: Sequence[int]) -> None:
    """Recount the distinct videos and advertisers of ``domain_ids`` (sort keys)."""
    if not domain_ids:
        return
    m = DomainMention
    videos = (
        sa.select(sa.func.count(sa.distinct(m.video_id)))
        .where(m.domain_id == Domain.id)
        .scalar_subquery()
    )
    advertisers = (
        sa.select(sa.func.count(sa.distinct(Video.advertiser_name)))
        .select_from(m)
        .join(Video, Video.video_id == m.video_id)
        .where(m.domain_id == Domain.id)
        .scalar_subquery()
    )
    session.execute(
        sa.update(Domain)
        .where(Domain.id.in_(sorted(domain_ids)))
        .values(video_count=videos, advertiser_count=advertisers)
    )


def _bump_day(session: Session, domain_id: int, day: date, n: int) -> None:
    stmt = insert_for(session, DomainDay.__table__).values(
        domain_id=domain_id, day=day, mention_count=n
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["domain_id", "day"],
            set_={"mention_count": DomainDay.mention_count + n},
        )
    )


def pending_comments(
    session: Session, comment_ids: Iterable[str] | None, limit: int
) -> list[tuple[str, str, str]]:
    """(comment_id, video_id, text) not yet extracted: the given ids, or any when None."""
    q = sa.select(Comment.comment_id, Comment.video_id, Comment.text).where(
        Comment.extracted_at.is_(None)
    )
    if comment_ids is not None:
        q = q.where(Comment.comment_id.in_(list(comment_ids)))
    return [tuple(r) for r in session.execute(q.limit(limit))]  # type: ignore[misc]


def mark_extracted(session: Session, comment_ids: Sequence[str], now: datetime) -> None:
    if comment_ids:
        session.execute(
            sa.update(Comment).where(Comment.comment_id.in_(comment_ids)).values(extracted_at=now)
        )


def set_job_status(
    session: Session,
    run_id: str,
    fn_id: str,
    state: JobState,
    step: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    now = utcnow()
    stmt = insert_for(session, JobStatus.__table__).values(
        run_id=run_id,
        fn_id=fn_id,
        step=step,
        state=state,
        detail=detail,
        started_at=now,
        updated_at=now,
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["run_id"],
            set_={"step": step, "state": state, "detail": detail, "updated_at": now},
        )
    )


def add_dead_letter(
    session: Session,
    fn_id: str,
    run_id: str,
    event: dict[str, Any],
    error: dict[str, Any],
    attempts: int,
) -> None:
    stmt = insert_for(session, DeadLetter.__table__).values(
        fn_id=fn_id,
        run_id=run_id,
        event=event,
        error=error,
        attempts=attempts,
        status=DeadLetterStatus.PENDING,
        created_at=utcnow(),
        replay_count=0,
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["run_id"]))


def mark_dead_letters_replayed(session: Session, ids: Sequence[int]) -> None:
    session.execute(
        sa.update(DeadLetter)
        .where(DeadLetter.id.in_(ids))
        .values(
            status=DeadLetterStatus.REPLAYED,
            replayed_at=utcnow(),
            replay_count=DeadLetter.replay_count + 1,
        )
    )


def dead_letters_to_replay(session: Session, ids: Sequence[int] | None) -> list[DeadLetter]:
    q = sa.select(DeadLetter).where(DeadLetter.status == DeadLetterStatus.PENDING)
    if ids is not None:
        q = sa.select(DeadLetter).where(DeadLetter.id.in_(ids))
    return list(session.scalars(q.order_by(DeadLetter.id)))


def put_setting(session: Session, key: str, value: dict[str, Any]) -> None:
    stmt = insert_for(session, Setting.__table__).values(key=key, value=value, updated_at=utcnow())
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["key"], set_={"value": value, "updated_at": utcnow()}
        )
    )
