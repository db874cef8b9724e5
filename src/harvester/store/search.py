"""The one search box: domains (either spelling), videos, advertisers, comments (text
and id), each kind bounded, with LIKE wildcards in the query escaped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.models import Comment, Domain, PromotedAd, Video

PER_KIND = 20  # rows per kind; the page says when there are more
SNIPPET = 160  # characters of a comment shown in the results


@dataclass(frozen=True)
class Hits:
    """What one query found, by kind; ``more`` names the kinds cut at ``PER_KIND``."""

    domains: list[dict[str, Any]] = field(default_factory=list)
    videos: list[dict[str, Any]] = field(default_factory=list)
    advertisers: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    more: frozenset[str] = frozenset()

    @property
    def total(self) -> int:
        return len(self.domains) + len(self.videos) + len(self.advertisers) + len(self.comments)


def spellings(q: str) -> list[str]:
    """The query and its other spelling: ``españa.es`` ↔ ``xn--espaa-rta.es``."""
    q = q.strip().lower()
    out = [q]
    try:
        other = q.encode("ascii").decode("idna") if "xn--" in q else q.encode("idna").decode()
    except (UnicodeError, ValueError):
        other = q
    if other and other != q:
        out.append(other.lower())
    return out


def search_all(session: Session, q: str, limit: int = PER_KIND) -> Hits:
    """Every kind that matches ``q``; an empty query finds nothing."""
    q = q.strip()
    if not q:
        return Hits()
    found = {
        "domains": _domains(session, q, limit + 1),
        "videos": _videos(session, q, limit + 1),
        "advertisers": _advertisers(session, q, limit + 1),
        "comments": _comments(session, q, limit + 1),
    }
    more = frozenset(k for k, rows in found.items() if len(rows) > limit)
    return Hits(**{k: rows[:limit] for k, rows in found.items()}, more=more)


def _domains(session: Session, q: str, limit: int) -> list[dict[str, Any]]:
    conds = []
    for s in spellings(q):
        conds += [
            Domain.name.contains(s, autoescape=True),
            Domain.ascii_name.contains(s, autoescape=True),
        ]
    stmt = (
        sa.select(Domain.name, Domain.ascii_name, Domain.mention_count, Domain.last_seen_at)
        .where(sa.or_(*conds))
        .order_by(Domain.mention_count.desc(), Domain.name)
        .limit(limit)
    )
    return [
        {"name": n, "ascii_name": a, "mentions": m, "last_seen_at": t}
        for n, a, m, t in session.execute(stmt)
    ]


def _videos(session: Session, q: str, limit: int) -> list[dict[str, Any]]:
    stmt = (
        sa.select(Video.video_id, Video.advertiser_name, Video.username, Video.discovered_at)
        .where(Video.video_id.startswith(q, autoescape=True))
        .order_by(Video.video_id)
        .limit(limit)
    )
    return [
        {"video_id": v, "advertiser": a, "username": u, "discovered_at": t}
        for v, a, u, t in session.execute(stmt)
    ]


def _advertisers(session: Session, q: str, limit: int) -> list[dict[str, Any]]:
    """Advertiser names from the ad library and from videos, with their video count."""
    videos = (
        sa.select(Video.advertiser_name.label("name"), sa.func.count().label("n"))
        .where(Video.advertiser_name.icontains(q, autoescape=True))
        .group_by(Video.advertiser_name)
    )
    ads = (
        sa.select(PromotedAd.advertiser_name.label("name"), sa.literal(0).label("n"))
        .where(PromotedAd.advertiser_name.icontains(q, autoescape=True))
        .distinct()
    )
    both = sa.union_all(videos, ads).subquery()
    stmt = (
        sa.select(both.c.name, sa.func.sum(both.c.n).label("videos"))
        .group_by(both.c.name)
        .order_by(sa.desc("videos"), both.c.name)
        .limit(limit)
    )
    return [{"name": n, "videos": int(v or 0)} for n, v in session.execute(stmt)]


def _comments(session: Session, q: str, limit: int) -> list[dict[str, Any]]:
    """Comments whose id is ``q`` (first) or whose text contains it, newest id first."""
    cols = (Comment.comment_id, Comment.video_id, Comment.text)
    exact = list(session.execute(sa.select(*cols).where(Comment.comment_id == q)))
    stmt = (
        sa.select(*cols)
        .where(Comment.text.icontains(q, autoescape=True), Comment.comment_id != q)
        .order_by(Comment.comment_id.desc())
        .limit(limit - len(exact))
    )
    rows = exact + list(session.execute(stmt))
    return [
        {"comment_id": c, "video_id": v, "text": t[:SNIPPET], "cut": len(t) > SNIPPET}
        for c, v, t in rows
    ]
