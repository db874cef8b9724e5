"""Domains: created once per name; the pages, exports and the detail of one domain.

Lists use keyset pagination on indexed columns (``after`` = the last key of the previous
page), so page 1,000 of 100k rows costs what page 1 costs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.domains.hosts import host_kind
from harvester.store import domain_list, intel
from harvester.store.clock import as_utc, iso_day, start_of_day, today, utcnow
from harvester.store.domain_list import domain_dict
from harvester.store.list_order import order_by
from harvester.store.models import Comment, Domain, DomainDay, DomainMention, Video
from harvester.store.upsert import insert_for

EXPORT_BATCH = 1000


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


def _domain_filter(stmt: Any, q: str | None, new_today: bool) -> Any:
    if q:
        stmt = stmt.where(Domain.name.contains(q.strip().lower(), autoescape=True))
    if new_today:
        stmt = stmt.where(Domain.first_seen_at >= start_of_day())
    return stmt


def domains_page(
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
        page = domains_page(session, q=q, new_today=new_today, after=after, limit=size)
        yield from page
        sent += len(page)
        if len(page) < size:
            return
        after = page[-1]["id"]


def count_domains(session: Session, *, q: str | None = None, new_today: bool = False) -> int:
    """How many domains match (for progress bars and page headers)."""
    stmt = _domain_filter(sa.select(sa.func.count()).select_from(Domain), q, new_today)
    return int(session.scalar(stmt) or 0)


# The mentions list of a domain's page: its sort keys and their columns.
MENTION_SORTS: dict[str, Any] = {
    "when": DomainMention.id,
    "video": DomainMention.video_id,
    "confidence": DomainMention.confidence,
}


def domain_detail(
    session: Session,
    name: str,
    *,
    before: int | None = None,
    limit: int = 50,
    sort: str = "when",
    descending: bool = True,
    offset: int = 0,
) -> dict[str, Any] | None:
    """A domain with a page of its mentions (newest first, or by ``sort``, a key of
    ``MENTION_SORTS``), how many it has, its videos and daily counts."""
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
    stmt = order_by(stmt, MENTION_SORTS, sort, descending, DomainMention.id)
    rows = session.execute(stmt.offset(offset).limit(limit)).all()
    total = session.scalar(
        sa.select(sa.func.count()).select_from(DomainMention).where(DomainMention.domain_id == d.id)
    )
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
        "mention_rows": int(total or 0),
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
