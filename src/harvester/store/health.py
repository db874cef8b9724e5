"""Health checks: what the health-check job records, and the backlog it reads (how
runs ended is the engine's to say: ``jobs.run_outcomes``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.clock import utcnow
from harvester.store.clock import as_utc
from harvester.store.models import HealthCheck, Video
from harvester.store.states import HarvestStatus, Severity


def oldest_waiting(session: Session) -> datetime | None:
    """When the oldest video still waiting for its harvest was discovered (UTC)."""
    return as_utc(
        session.scalar(
            sa.select(sa.func.min(Video.discovered_at)).where(
                Video.harvest_status == HarvestStatus.NEW
            )
        )
    )


def add_health_check(
    session: Session, status: Severity, detail: dict[str, Any], at: datetime | None = None
) -> None:
    session.add(HealthCheck(checked_at=at or utcnow(), status=status, detail=detail))


def latest_health(session: Session) -> dict[str, Any] | None:
    """The most recent health check, if any ran."""
    h = session.scalar(sa.select(HealthCheck).order_by(HealthCheck.id.desc()).limit(1))
    if h is None:
        return None
    return {"checked_at": as_utc(h.checked_at), "status": str(h.status), "detail": h.detail}
