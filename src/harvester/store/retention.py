"""Retention: which tables are pruned by age, by which timestamp, and the bounded delete
that never removes a domain still mentioned."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.models import (
    Alert,
    Comment,
    Domain,
    DomainMention,
    HealthCheck,
    JobStatus,
    WorkerResultRow,
)


class Kept(enum.StrEnum):
    """Which retention setting bounds a table's age."""

    COMMENTS = "comments"
    ALERTS = "alerts"
    RUNS = "runs"


# In cleanup order (each table's steps are named after it, so the order is part of a
# run's history): comments cascade to their mentions; domains go once none is left.
PRUNED: dict[str, Kept] = {
    "comment": Kept.COMMENTS,
    "domain": Kept.COMMENTS,
    "alert": Kept.ALERTS,
    "job_status": Kept.RUNS,
    "health_check": Kept.RUNS,
    "worker_result": Kept.RUNS,
}


def _target(table: str) -> tuple[Any, Any, Any]:
    """(model, timestamp column, extra condition) of a pruned table."""
    if table == "comment":
        return Comment, Comment.harvested_at, None
    if table == "domain":
        unmentioned = ~sa.exists().where(DomainMention.domain_id == Domain.id)
        return Domain, Domain.last_seen_at, unmentioned
    if table == "alert":
        return Alert, Alert.created_at, None
    if table == "job_status":
        return JobStatus, JobStatus.updated_at, None
    if table == "health_check":
        return HealthCheck, HealthCheck.checked_at, None
    if table == "worker_result":
        return WorkerResultRow, WorkerResultRow.received_at, None
    raise ValueError(f"not a pruned table: {table!r} (one of {', '.join(PRUNED)})")


def delete_stale(session: Session, table: str, cutoff: datetime, batch: int) -> int:
    """Delete at most ``batch`` rows of ``table`` older than ``cutoff``; how many went."""
    model, column, extra = _target(table)
    return delete_older_than(session, model, column, cutoff, batch, extra)


def delete_older_than(
    session: Session,
    model: Any,
    column: Any,
    cutoff: datetime,
    batch: int,
    extra: Any = None,
) -> int:
    """Delete at most ``batch`` rows with ``column < cutoff``; returns how many went."""
    pk = next(iter(model.__table__.primary_key.columns))
    q = sa.select(pk).where(column < cutoff)
    if extra is not None:
        q = q.where(extra)
    ids = list(session.scalars(q.limit(batch)))
    if ids:
        session.execute(sa.delete(model).where(pk.in_(ids)))
    return len(ids)
