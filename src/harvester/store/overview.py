"""The overview's numbers: what is stored, what is new today, and the daily series
behind the charts. How runs ended is the engine's to say (``jobs.run_outcomes``): the
web layer adds those counts; nothing here counts the app's job rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.clock import start_of_day
from harvester.store.clock import iso_day
from harvester.store.models import Comment, DeadLetter, Domain, DomainDay, Video
from harvester.store.states import DeadLetterStatus


@dataclass(frozen=True)
class Totals:
    """What is stored, what is new since midnight UTC, and the failures left to replay."""

    videos: int
    comments: int
    domains: int
    new_domains_today: int
    dead_letters: int


def totals(session: Session, now: datetime | None = None) -> Totals:
    """Counts at ``now`` (default: the clock's now); "today" is ``now``'s UTC day."""
    today_start = start_of_day(now)
    count = lambda stmt: int(session.scalar(stmt) or 0)  # noqa: E731
    return Totals(
        videos=count(sa.select(sa.func.count()).select_from(Video)),
        comments=count(sa.select(sa.func.count()).select_from(Comment)),
        domains=count(sa.select(sa.func.count()).select_from(Domain)),
        new_domains_today=count(
            sa.select(sa.func.count())
            .select_from(Domain)
            .where(Domain.first_seen_at >= today_start)
        ),
        dead_letters=count(
            sa.select(sa.func.count())
            .select_from(DeadLetter)
            .where(DeadLetter.status == DeadLetterStatus.PENDING)
        ),
    )


def overview(session: Session, days: int = 14, now: datetime | None = None) -> dict[str, Any]:
    """Headline counts and the daily series of the overview page, at ``now``."""
    since = start_of_day(now) - timedelta(days=days - 1)
    t = totals(session, now)
    return {
        "videos": t.videos,
        "comments": t.comments,
        "domains": t.domains,
        "new_domains_today": t.new_domains_today,
        "dead_letters": t.dead_letters,
        "series": daily_series(session, since, days),
    }


def _per_day(session: Session, column: Any, since: datetime, *where: Any) -> dict[str, int]:
    day = sa.func.date(column)
    rows = session.execute(
        sa.select(day, sa.func.count()).where(column >= since, *where).group_by(day)
    ).all()
    return {iso_day(k): int(n) for k, n in rows}


def daily_series(session: Session, since: datetime, days: int) -> list[dict[str, Any]]:
    """Per UTC day: new domains, active domains, mentions, comments."""
    new = _per_day(session, Domain.first_seen_at, since)
    com = _per_day(session, Comment.harvested_at, since)
    active = {
        iso_day(k): (int(n), int(m or 0))
        for k, n, m in session.execute(
            sa.select(DomainDay.day, sa.func.count(), sa.func.sum(DomainDay.mention_count))
            .where(DomainDay.day >= since.date())
            .group_by(DomainDay.day)
        )
    }
    out = []
    for i in range(days):
        day = (since + timedelta(days=i)).date().isoformat()
        out.append(
            {
                "day": day,
                "new_domains": new.get(day, 0),
                "active_domains": active.get(day, (0, 0))[0],
                "mentions": active.get(day, (0, 0))[1],
                "comments": com.get(day, 0),
            }
        )
    return out
