"""The day's report: domains first seen that day and domains spiking that day, each
with its evidence (comments, videos, advertisers of that day's mentions)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.domains.signals import DEFAULT_THRESHOLDS, Thresholds
from harvester.store import domain_list
from harvester.store.domain_list import DomainQuery, DomainSort
from harvester.store.models import Comment, Domain, DomainMention, Video

MAX_DOMAINS = 500  # per section: a report is read, not exported
EVIDENCE = 5


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def evidence(session: Session, domain_id: int, day: date) -> dict[str, Any]:
    """That day's mentions of one domain: a few comments, its videos and advertisers."""
    start, end = _bounds(day)
    m = DomainMention
    on_day = sa.and_(m.domain_id == domain_id, m.created_at >= start, m.created_at < end)
    comments = session.execute(
        sa.select(Comment.comment_id, Comment.text, m.video_id, m.via_url)
        .join(Comment, Comment.comment_id == m.comment_id)
        .where(on_day)
        .order_by(m.id)
        .limit(EVIDENCE)
    ).all()
    videos = session.execute(
        sa.select(m.video_id, Video.advertiser_name, sa.func.count())
        .join(Video, Video.video_id == m.video_id, isouter=True)
        .where(on_day)
        .group_by(m.video_id, Video.advertiser_name)
        .order_by(sa.func.count().desc(), m.video_id)
    ).all()
    return {
        "comments": [
            {"comment_id": c, "text": t, "video_id": v, "via_url": via} for c, t, v, via in comments
        ],
        "videos": [v for v, _a, _n in videos],
        "advertisers": sorted({a for _v, a, _n in videos if a}),
        "mentions_on_day": int(sum(n for _v, _a, n in videos)),
    }


SECTIONS = ("spiking", "new")  # the order the pages show them in


def _sections(day: date, thresholds: Thresholds) -> dict[str, DomainQuery]:
    base = DomainQuery(today=day, thresholds=thresholds, sort=DomainSort.TODAY)
    return {
        "new": replace(base, new_today=True),
        "spiking": replace(base, spiking=True),
    }


def report_outline(
    session: Session, day: date, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> dict[str, Any]:
    """The report's table of contents: how many domains each section holds, and the
    young and spiking ones (called out first), without any section's rows."""
    queries = _sections(day, thresholds)
    counts = {name: domain_list.count(session, queries[name]) for name in SECTIONS}
    young = replace(queries["spiking"], young=True)
    rows = domain_list.list_domains(session, young, limit=MAX_DOMAINS)
    return {
        "day": day.isoformat(),
        "counts": counts,
        "young_spiking": [r["name"] for r in rows if "young" in r["signals"]],
    }


def report_section(
    session: Session,
    day: date,
    section: str,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *,
    sort: DomainSort = DomainSort.TODAY,
    descending: bool = True,
    offset: int = 0,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """One page of one section (``spiking`` or ``new``), each row with its evidence."""
    query = replace(_sections(day, thresholds)[section], sort=sort, descending=descending)
    rows = domain_list.list_domains(session, query, offset=offset, limit=limit)
    for r in rows:
        r["evidence"] = evidence(session, r["id"], day)
    return rows


def day_report(
    session: Session, day: date, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> dict[str, Any]:
    """``{"day", "new": [...], "spiking": [...]}``: rows of domain_list plus evidence."""
    sections = _sections(day, thresholds)
    out: dict[str, Any] = {"day": day.isoformat()}
    for name, query in sections.items():
        rows = domain_list.list_domains(session, query, limit=MAX_DOMAINS)
        for r in rows:
            r["evidence"] = evidence(session, r["id"], day)
        out[name] = rows
    out["young_spiking"] = [r["name"] for r in out["spiking"] if "young" in r["signals"]]
    return out


def known_days(session: Session) -> tuple[date | None, date | None]:
    """The first and last day any domain was seen (for a helpful error)."""
    lo, hi = session.execute(
        sa.select(sa.func.min(Domain.first_seen_at), sa.func.max(Domain.last_seen_at))
    ).one()
    return (lo.date() if lo else None, hi.date() if hi else None)
