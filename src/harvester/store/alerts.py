"""Alerts: stored once per key within a window; a repeat only bumps its counter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.clock import as_utc, utcnow
from harvester.store.list_order import order_by
from harvester.store.models import Alert
from harvester.store.states import Severity


def recent_alert(session: Session, key: str, since: datetime) -> Alert | None:
    return session.scalars(
        sa.select(Alert)
        .where(Alert.key == key, Alert.created_at >= since)
        .order_by(Alert.created_at.desc())
        .limit(1)
    ).first()


def alerted_since(session: Session, key: str, since: datetime) -> bool:
    """Whether an alert of ``key`` was raised at or after ``since``."""
    return recent_alert(session, key, since) is not None


def add_alert(
    session: Session, key: str, severity: Severity, message: str, detail: dict[str, Any] | None
) -> Alert:
    alert = Alert(
        key=key,
        severity=severity,
        message=message,
        detail=detail,
        created_at=utcnow(),
        occurrences=1,
        delivered=False,
    )
    session.add(alert)
    session.flush()
    return alert


def record_alert(
    session: Session,
    key: str,
    severity: Severity,
    message: str,
    detail: dict[str, Any] | None,
    *,
    repeat_since: datetime,
) -> int | None:
    """Store a new alert and return its id; None when one of ``key`` was raised since
    ``repeat_since`` (that one's ``occurrences`` is bumped instead)."""
    prior = recent_alert(session, key, repeat_since)
    if prior is not None:
        prior.occurrences += 1
        return None
    return add_alert(session, key, severity, message, detail).id


def mark_delivered(session: Session, alert_id: int) -> None:
    """Note that the alert reached its webhook."""
    session.execute(sa.update(Alert).where(Alert.id == alert_id).values(delivered=True))


# The alerts list's sort keys (the dashboard's column headers) and their columns.
ALERT_SORTS: dict[str, Any] = {
    "when": Alert.created_at,
    "severity": Alert.severity,
    "message": Alert.message,
    "occurrences": Alert.occurrences,
    "delivered": Alert.delivered,
}


def count_alerts(session: Session, *, severity: str | None = None) -> int:
    """How many alerts ``alerts_page`` would list over all its pages."""
    stmt = sa.select(sa.func.count()).select_from(Alert)
    if severity:
        stmt = stmt.where(Alert.severity == severity)
    return int(session.scalar(stmt) or 0)


def alerts_page(
    session: Session,
    *,
    severity: str | None = None,
    after: int | None = None,
    limit: int = 100,
    sort: str = "when",
    descending: bool = True,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Alerts in ``sort`` order (a key of ``ALERT_SORTS``; the id breaks ties), newest
    first by default; ``after`` (an id) pages the default order."""
    stmt = sa.select(Alert)
    if severity:
        stmt = stmt.where(Alert.severity == severity)
    if after is not None:
        stmt = stmt.where(Alert.id < after)
    stmt = order_by(stmt, ALERT_SORTS, sort, descending, Alert.id)
    rows = session.scalars(stmt.offset(offset).limit(limit))
    return [
        {
            "id": a.id,
            "key": a.key,
            "severity": str(a.severity),
            "message": a.message,
            "detail": a.detail,
            "created_at": as_utc(a.created_at),
            "occurrences": a.occurrences,
            "delivered": a.delivered,
        }
        for a in rows
    ]
