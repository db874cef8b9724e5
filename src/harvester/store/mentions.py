"""Mentions: one per (comment, domain), stored idempotently; each new one bumps its
domain's counts and its day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.domains import ensure_domains
from harvester.store.models import Domain, DomainDay, DomainMention, Video
from harvester.store.upsert import insert_for


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
    # executemany: one cached statement, not a VALUES list compiled anew per batch
    # (that compile was most of an import's time).
    stmt = insert_for(session, DomainMention.__table__)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["comment_id", "domain_id"]), rows)
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
