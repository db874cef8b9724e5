"""Today's most mentioned domains with yesterday's count beside them: what an analyst
opens the dashboard for, on its first page. "Mentions" are distinct comments (one per
comment and domain), counted per UTC day in ``domain_day``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.models import Domain, DomainDay

TOP = 10


@dataclass(frozen=True)
class TopDomain:
    """A domain's comments today and yesterday (UTC days)."""

    name: str
    ascii_name: str
    today: int
    yesterday: int
    first_seen_today: bool

    @property
    def change(self) -> int:
        return self.today - self.yesterday


def top_domains(session: Session, day: date, limit: int = TOP) -> list[TopDomain]:
    """The ``limit`` domains with the most comments on ``day``, most first (ties by
    name), with their count of the day before."""
    before = day - timedelta(days=1)
    yesterday = (
        sa.select(DomainDay.domain_id, DomainDay.mention_count.label("n"))
        .where(DomainDay.day == before)
        .subquery()
    )
    rows = session.execute(
        sa.select(
            Domain.name,
            Domain.ascii_name,
            Domain.first_seen_at,
            DomainDay.mention_count,
            sa.func.coalesce(yesterday.c.n, 0),
        )
        .join(Domain, Domain.id == DomainDay.domain_id)
        .outerjoin(yesterday, yesterday.c.domain_id == DomainDay.domain_id)
        .where(DomainDay.day == day, DomainDay.mention_count > 0)
        .order_by(DomainDay.mention_count.desc(), Domain.name)
        .limit(limit)
    ).all()
    return [
        TopDomain(name, ascii_name, int(today), int(prev), first.date() == day)
        for name, ascii_name, first, today, prev in rows
    ]
