"""The overview's numbers: what is stored, what is new today, how the runs went, and
the daily series behind the charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.clock import iso_day, start_of_day, utcnow
from harvester.store.models import Comment, DeadLetter, Domain, DomainDay, JobStatus, Video
from harvester.store.states import DeadLetterStatus, JobState


@dataclass(frozen=True)
class Totals:
    """What is stored, what is new since midnight UTC, and the failures left to replay."""

    videos: int
    comments: int
    domains: int
    new_domains_today: int
    dead_letters: int


def totals(session: Session) -> Totals:
    today_start = start_of_day()
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


def overview(session: Session, days: int = 14) -> dict[str, Any]:
    """Headline counts and the daily series of the overview page."""
    today_start = start_of_day()
    since = today_start - timedelta(days=days - 1)
    states = dict(
        session.execute(
            sa.select(JobStatus.state, sa.func.count())
            .where(JobStatus.updated_at >= utcnow() - timedelta(days=1))
            .group_by(JobStatus.state)
        )
        .tuples()
        .all()
    )
    t = totals(session)
    return {
        "videos": t.videos,
        "comments": t.comments,
        "domains": t.domains,
        "new_domains_today": t.new_domains_today,
        "dead_letters": t.dead_letters,
        "runs_24h": {str(k): int(v) for k, v in states.items()},
        "success_rate": _rate(states.get(JobState.COMPLETED, 0), states.get(JobState.FAILED, 0)),
        "series": daily_series(session, since, days),
    }


def _rate(ok: int, failed: int) -> float | None:
    return round(ok / (ok + failed), 4) if ok + failed else None


def _per_day(session: Session, column: Any, since: datetime, *where: Any) -> dict[str, int]:
    day = sa.func.date(column)
    rows = session.execute(
        sa.select(day, sa.func.count()).where(column >= since, *where).group_by(day)
    ).all()
    return {iso_day(k): int(n) for k, n in rows}


def daily_series(session: Session, since: datetime, days: int) -> list[dict[str, Any]]:
    """Per UTC day: new domains, active domains, mentions, comments, pipeline success."""
    new = _per_day(session, Domain.first_seen_at, since)
    com = _per_day(session, Comment.harvested_at, since)
    ok = _per_day(session, JobStatus.updated_at, since, JobStatus.state == JobState.COMPLETED)
    bad = _per_day(session, JobStatus.updated_at, since, JobStatus.state == JobState.FAILED)
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
                "runs_completed": ok.get(day, 0),
                "runs_failed": bad.get(day, 0),
                "success_rate": _rate(ok.get(day, 0), bad.get(day, 0)),
            }
        )
    return out
