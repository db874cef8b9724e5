"""Domain lists an analyst can sort and filter: by mentions, distinct videos and
advertisers, first/last seen, age, today's mentions and growth ("pushed now").

Newest-first pages use keyset pagination on the id (``after``); the other orders rank
on computed numbers and page by ``offset`` (analysts read the top pages of a ranking).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.domains.hosts import DomainKind
from harvester.domains.signals import DEFAULT_THRESHOLDS, DomainFacts, Thresholds, signals_of
from harvester.store.clock import as_utc, utcnow
from harvester.store.models import Domain, DomainDay

EXPORT_BATCH = 1000


class DomainSort(enum.StrEnum):
    NEWEST = "newest"
    MENTIONS = "mentions"
    VIDEOS = "videos"
    ADVERTISERS = "advertisers"
    FIRST_SEEN = "first_seen"
    LAST_SEEN = "last_seen"
    TODAY = "today"
    GROWTH_DAY = "growth_day"
    GROWTH_WEEK = "growth_week"
    YOUNGEST = "youngest"
    NAME = "name"


@dataclass(frozen=True)
class DomainQuery:
    """Filters and order of a domain list (every field optional)."""

    q: str | None = None
    new_today: bool = False
    kind: DomainKind | None = None
    young: bool = False
    spiking: bool = False
    pushed: bool = False
    blocklisted: bool = False
    min_mentions: int = 0
    min_videos: int = 0
    min_advertisers: int = 0
    since: date | None = None  # mentioned on or after this day
    until: date | None = None  # mentioned on or before this day
    sort: DomainSort = DomainSort.NEWEST
    descending: bool = True  # False: the reverse of the sort's order (A→Z for names)
    thresholds: Thresholds = field(default=DEFAULT_THRESHOLDS)
    today: date | None = None  # the clock's day (tests pin it)


def _day(query: DomainQuery) -> date:
    return query.today or utcnow().date()


def _window(today: date, only: int | None = None) -> Any:
    """Per-domain sums over the last two weeks: today, yesterday, this/last week
    (``only``: of one domain id)."""
    d = DomainDay

    def total(lo: int, hi: int) -> Any:
        inside = sa.and_(d.day >= today - timedelta(lo), d.day <= today - timedelta(hi))
        return sa.func.sum(sa.case((inside, d.mention_count), else_=0))

    stmt = (
        sa.select(
            d.domain_id.label("domain_id"),
            total(0, 0).label("today"),
            total(1, 1).label("yesterday"),
            total(6, 0).label("week"),
            total(13, 7).label("prev_week"),
            total(7, 1).label("trailing"),
        )
        .where(d.day >= today - timedelta(13), d.day <= today)
        .group_by(d.domain_id)
    )
    if only is not None:
        stmt = stmt.where(d.domain_id == only)
    return stmt.subquery("w")


def _cols(w: Any) -> dict[str, Any]:
    z = sa.func.coalesce
    return {
        "today": z(w.c.today, 0),
        "yesterday": z(w.c.yesterday, 0),
        "week": z(w.c.week, 0),
        "prev_week": z(w.c.prev_week, 0),
        "trailing": z(w.c.trailing, 0),
    }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _where(stmt: Any, query: DomainQuery, c: dict[str, Any]) -> Any:
    t, today = query.thresholds, _day(query)
    if query.q:
        stmt = stmt.where(Domain.name.contains(query.q.strip().lower(), autoescape=True))
    if query.new_today:  # first seen on the query's day (today unless a report's)
        stmt = stmt.where(
            Domain.first_seen_at >= _midnight(today),
            Domain.first_seen_at < _midnight(today + timedelta(1)),
        )
    if query.kind is not None:
        stmt = stmt.where(Domain.kind == query.kind.value)
    if query.young:
        stmt = stmt.where(Domain.registered_at > _midnight(today - timedelta(t.young_days)))
    if query.spiking:
        stmt = stmt.where(
            c["today"] >= t.spike_min_mentions, c["today"] * 7 >= c["trailing"] * t.spike_factor
        )
    if query.pushed:
        stmt = stmt.where(
            sa.or_(
                Domain.advertiser_count >= t.pushed_advertisers,
                Domain.video_count >= t.pushed_videos,
            )
        )
    if query.blocklisted:
        stmt = stmt.where(Domain.blocklisted.is_(True))
    for col, least in (
        (Domain.mention_count, query.min_mentions),
        (Domain.video_count, query.min_videos),
        (Domain.advertiser_count, query.min_advertisers),
    ):
        if least > 0:
            stmt = stmt.where(col >= least)
    return _date_range(stmt, query)


def _date_range(stmt: Any, query: DomainQuery) -> Any:
    if query.since is None and query.until is None:
        return stmt
    seen = sa.select(DomainDay.id).where(DomainDay.domain_id == Domain.id)
    if query.since is not None:
        seen = seen.where(DomainDay.day >= query.since)
    if query.until is not None:
        seen = seen.where(DomainDay.day <= query.until)
    return stmt.where(seen.exists())


def _order(query: DomainQuery, c: dict[str, Any]) -> list[Any]:
    """ORDER BY of the query: its sort's column (unknown ages last, on both databases),
    then the id, both descending unless the query asks for the reverse."""
    keys: dict[DomainSort, Any] = {
        DomainSort.NEWEST: Domain.id,
        DomainSort.MENTIONS: Domain.mention_count,
        DomainSort.VIDEOS: Domain.video_count,
        DomainSort.ADVERTISERS: Domain.advertiser_count,
        DomainSort.FIRST_SEEN: Domain.first_seen_at,
        DomainSort.LAST_SEEN: Domain.last_seen_at,
        DomainSort.TODAY: c["today"],
        DomainSort.GROWTH_DAY: c["today"] - c["yesterday"],
        DomainSort.GROWTH_WEEK: c["week"] - c["prev_week"],
        DomainSort.YOUNGEST: Domain.registered_at,
        DomainSort.NAME: Domain.name,
    }
    col = keys[query.sort]
    if query.descending:
        return [col.desc().nulls_last(), Domain.id.desc()]
    return [col.asc().nulls_last(), Domain.id.asc()]


def list_domains(
    session: Session,
    query: DomainQuery = DomainQuery(),
    *,
    after: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """One page of domains with their numbers and signals."""
    w = _window(_day(query))
    c = _cols(w)
    stmt = sa.select(Domain, *(v.label(k) for k, v in c.items())).outerjoin(
        w, w.c.domain_id == Domain.id
    )
    stmt = _where(stmt, query, c)
    if after is not None and query.sort is DomainSort.NEWEST:
        stmt = stmt.where(Domain.id < after if query.descending else Domain.id > after)
    rows = session.execute(stmt.order_by(*_order(query, c)).offset(offset).limit(limit)).all()
    return [intel_dict(r[0], dict(r._mapping), query) for r in rows]


def count(session: Session, query: DomainQuery = DomainQuery()) -> int:
    """How many domains match ``query``'s filters."""
    w = _window(_day(query))
    c = _cols(w)
    stmt = sa.select(sa.func.count()).select_from(Domain).outerjoin(w, w.c.domain_id == Domain.id)
    return int(session.scalar(_where(stmt, query, c)) or 0)


def iter_all(
    session: Session, query: DomainQuery = DomainQuery(), limit: int | None = None
) -> Iterator[dict[str, Any]]:
    """Every match in ``query``'s order, in batches (exports: memory stays flat; newest
    first pages by keyset, so a million rows cost what the first thousand cost)."""
    sent, after = 0, None
    keyset = query.sort is DomainSort.NEWEST
    while limit is None or sent < limit:
        size = EXPORT_BATCH if limit is None else min(EXPORT_BATCH, limit - sent)
        offset = 0 if keyset else sent
        page = list_domains(session, query, after=after, offset=offset, limit=size)
        yield from page
        sent += len(page)
        if len(page) < size:
            return
        after = page[-1]["id"]


def domain_dict(d: Domain) -> dict[str, Any]:
    """The public shape of a domain row, before its intelligence."""
    return {
        "id": d.id,
        "name": d.name,
        "ascii_name": d.ascii_name,
        "first_seen_at": as_utc(d.first_seen_at),
        "last_seen_at": as_utc(d.last_seen_at),
        "mention_count": d.mention_count,
    }


def intel_dict(d: Domain, numbers: dict[str, Any], query: DomainQuery) -> dict[str, Any]:
    """A domain row with its counts, growth and signals (the public shape)."""
    today = _day(query)
    n = {k: int(numbers.get(k) or 0) for k in ("today", "yesterday", "week", "prev_week")}
    registered = as_utc(d.registered_at)
    facts = DomainFacts(
        first_seen_at=as_utc(d.first_seen_at) or utcnow(),
        videos=d.video_count,
        advertisers=d.advertiser_count,
        mentions_today=n["today"],
        trailing_week=int(numbers.get("trailing") or 0),
        registered_at=registered,
        is_shortener=d.kind != DomainKind.SITE,
        blocklisted=d.blocklisted,
    )
    return {
        **domain_dict(d),
        "kind": d.kind,
        "video_count": d.video_count,
        "advertiser_count": d.advertiser_count,
        "blocklisted": d.blocklisted,
        "registered_at": registered,
        "registrar": d.registrar,
        "age_days": (today - registered.date()).days if registered else None,
        "mentions_today": n["today"],
        "mentions_week": n["week"],
        "growth_day": n["today"] - n["yesterday"],
        "growth_week": n["week"] - n["prev_week"],
        "signals": [s.value for s in signals_of(facts, today, query.thresholds)],
    }


def one(session: Session, name: str, query: DomainQuery = DomainQuery()) -> dict[str, Any] | None:
    """The intel row of one domain by name (None when unknown)."""
    found = session.scalar(sa.select(Domain).where(Domain.name == name.strip().lower()))
    if found is None:
        return None
    w = _window(_day(query), only=found.id)
    row = session.execute(sa.select(*(v.label(k) for k, v in _cols(w).items()))).first()
    return intel_dict(found, dict(row._mapping) if row else {}, query)


def young_among(session: Session, names: list[str], query: DomainQuery) -> list[str]:
    """Which of ``names`` are young domains (a cheap first cut before the signals)."""
    cutoff = _midnight(_day(query) - timedelta(query.thresholds.young_days))
    stmt = sa.select(Domain.name).where(Domain.name.in_(names), Domain.registered_at > cutoff)
    return sorted(session.scalars(stmt))
