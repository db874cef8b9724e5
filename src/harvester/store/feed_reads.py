"""The domains the feeds publish, with their evidence: the analyst's domain list
(``domain_list``, kind ``site``) plus, per batch of domains, the promoted videos that
carried the most mentions and the shortened links that resolved to each domain.

Reads in batches of ``domain_list.EXPORT_BATCH`` (two extra queries a batch, never one a
domain), so a feed of 100k domains costs what the domain export costs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.domains.hosts import DomainKind
from harvester.domains.signals import DEFAULT_THRESHOLDS, Signal, Thresholds
from harvester.store import domain_list
from harvester.store.domain_list import DomainQuery
from harvester.store.models import DomainMention, LinkResolution, LookupStatus, Video

# Signals a feed can be narrowed to (the store filters on each).
FILTER_SIGNALS = (Signal.YOUNG, Signal.SPIKING, Signal.PUSHED)
# Signals a feed carries: what the enrichment found, not "new today" (stale by tomorrow)
# nor "shortener" (shorteners never reach a feed).
FEED_SIGNALS = frozenset({Signal.YOUNG, Signal.PUSHED, Signal.SPIKING, Signal.BLOCKLISTED})
USERNAME = re.compile(r"[A-Za-z0-9_.]{1,64}")  # TikTok's usernames


@dataclass(frozen=True)
class ResolvedLink:
    """A shortened or link-in-bio URL people posted, and where it led."""

    url: str
    final_url: str


@dataclass(frozen=True)
class DomainEvidence:
    """One site domain as the feeds publish it: its numbers, signals and evidence."""

    name: str
    ascii_name: str
    kind: str
    first_seen_at: datetime
    last_seen_at: datetime
    mention_count: int
    video_count: int
    advertiser_count: int
    signals: tuple[str, ...] = ()
    registered_at: datetime | None = None
    video_urls: tuple[str, ...] = ()  # the promoted videos with the most mentions first
    resolved_links: tuple[ResolvedLink, ...] = ()


@dataclass(frozen=True)
class FeedFilter:
    """Which domains a feed holds (every field optional: all site domains)."""

    since: date | None = None  # mentioned on or after this day
    min_mentions: int = 0
    min_advertisers: int = 0
    signals: frozenset[Signal] = frozenset()  # every one must hold (young/spiking/pushed)
    max_urls: int = 10  # video URLs and resolved links kept per domain
    thresholds: Thresholds = field(default=DEFAULT_THRESHOLDS)
    today: date | None = None  # the clock's day (tests pin it)

    def query(self) -> DomainQuery:
        """The domain-list query of this filter: kind ``site`` only."""
        wanted = set(self.signals)
        unknown = wanted - set(FILTER_SIGNALS)
        if unknown:
            raise ValueError(f"a feed filters on young, spiking or pushed, not {sorted(unknown)}")
        return DomainQuery(
            kind=DomainKind.SITE,
            since=self.since,
            min_mentions=self.min_mentions,
            min_advertisers=self.min_advertisers,
            young=Signal.YOUNG in wanted,
            spiking=Signal.SPIKING in wanted,
            pushed=Signal.PUSHED in wanted,
            thresholds=self.thresholds,
            today=self.today,
        )


def iter_evidence(session: Session, feed: FeedFilter = FeedFilter()) -> Iterator[DomainEvidence]:
    """Every domain of ``feed`` with its evidence, newest first, in batches."""
    rows = domain_list.iter_all(session, feed.query())
    for batch in _batches(rows, domain_list.EXPORT_BATCH):
        ids = [r["id"] for r in batch]
        videos = _top_videos(session, ids, feed.max_urls)
        links = _resolved_links(session, [r["name"] for r in batch], feed.max_urls)
        for r in batch:
            yield _evidence(r, videos.get(r["id"], ()), links.get(r["name"], ()))


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _evidence(
    row: dict[str, Any], videos: Sequence[str], links: Sequence[ResolvedLink]
) -> DomainEvidence:
    return DomainEvidence(
        name=row["name"],
        ascii_name=row["ascii_name"],
        kind=row["kind"],
        first_seen_at=row["first_seen_at"],
        last_seen_at=row["last_seen_at"],
        mention_count=row["mention_count"],
        video_count=row["video_count"],
        advertiser_count=row["advertiser_count"],
        signals=tuple(s for s in row["signals"] if s in FEED_SIGNALS),
        registered_at=row["registered_at"],
        video_urls=tuple(videos),
        resolved_links=tuple(links),
    )


def web_url(value: str | None) -> str | None:
    """``value`` when it is an http(s) URL with a host: stored data from sources and
    imports reaches analysts' tools, so a ``javascript:`` or garbage link never does."""
    if not value:
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _video_url(video_id: str, url: str | None, username: str | None) -> str | None:
    if web_url(url):
        return web_url(url)
    if username and USERNAME.fullmatch(username):  # the canonical address of a post
        return f"https://www.tiktok.com/@{username}/video/{quote(video_id, safe='')}"
    return None


def _top_videos(session: Session, domain_ids: list[int], most: int) -> dict[int, list[str]]:
    """Per domain id, the URLs of its videos with the most mentions (at most ``most``)."""
    n = sa.func.count().label("n")
    stmt = (
        sa.select(DomainMention.domain_id, DomainMention.video_id, Video.url, Video.username, n)
        .join(Video, Video.video_id == DomainMention.video_id, isouter=True)
        .where(DomainMention.domain_id.in_(domain_ids))
        .group_by(DomainMention.domain_id, DomainMention.video_id, Video.url, Video.username)
        .order_by(DomainMention.domain_id, n.desc(), DomainMention.video_id)
    )
    out: dict[int, list[str]] = defaultdict(list)
    for domain_id, video_id, url, username, _n in session.execute(stmt):
        link = _video_url(video_id, url, username)
        if link and len(out[domain_id]) < most:
            out[domain_id].append(link)
    return out


def _resolved_links(session: Session, names: list[str], most: int) -> dict[str, list[ResolvedLink]]:
    """Per domain name, the links that resolved to it (newest first, at most ``most``)."""
    r = LinkResolution
    stmt = (
        sa.select(r.final_domain, r.url, r.final_url)
        .where(r.final_domain.in_(names), r.status == LookupStatus.OK.value)
        .order_by(r.final_domain, r.resolved_at.desc(), r.url)
    )
    out: dict[str, list[ResolvedLink]] = defaultdict(list)
    for final_domain, url, final_url in session.execute(stmt):
        link, final = web_url(url), web_url(final_url)
        if final_domain and link and final and len(out[final_domain]) < most:
            out[final_domain].append(ResolvedLink(url=link, final_url=final))
    return out


def count_site_domains(session: Session, since: date | None = None) -> int:
    """How many site domains there are (mentioned on/after ``since``): a feed's coverage."""
    return domain_list.count(session, DomainQuery(kind=DomainKind.SITE, since=since))
