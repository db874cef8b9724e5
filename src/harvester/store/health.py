"""Health checks: what the health-check job records and the facts it reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.clock import as_utc, utcnow
from harvester.store.models import HealthCheck, JobStatus, Video
from harvester.store.states import HarvestStatus, Severity


@dataclass(frozen=True)
class PipelineFacts:
    """The oldest video still waiting for its harvest, and run states since a time."""

    oldest_waiting: datetime | None
    runs_by_state: dict[str, int]


def pipeline_facts(session: Session, since: datetime) -> PipelineFacts:
    oldest = session.scalar(
        sa.select(sa.func.min(Video.discovered_at)).where(Video.harvest_status == HarvestStatus.NEW)
    )
    rows = session.execute(
        sa.select(JobStatus.state, sa.func.count())
        .where(JobStatus.updated_at >= since)
        .group_by(JobStatus.state)
    ).all()
    return PipelineFacts(oldest, {str(state): n for state, n in rows})


def add_health_check(session: Session, status: Severity, detail: dict[str, Any]) -> None:
    session.add(HealthCheck(checked_at=utcnow(), status=status, detail=detail))


def latest_health(session: Session) -> dict[str, Any] | None:
    """The most recent health check, if any ran."""
    h = session.scalar(sa.select(HealthCheck).order_by(HealthCheck.id.desc()).limit(1))
    if h is None:
        return None
    return {"checked_at": as_utc(h.checked_at), "status": str(h.status), "detail": h.detail}
