"""The store's clock helpers: every timestamp it keeps is UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every timestamp we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def start_of_day(now: datetime | None = None) -> datetime:
    """Midnight UTC of ``now`` (default: today)."""
    now = now or utcnow()
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def today() -> date:
    """Today's UTC date."""
    return start_of_day().date()


def stale_cutoff(now: datetime, hours: float) -> datetime:
    return now - timedelta(hours=hours)


def iso_day(value: Any) -> str:
    return value.isoformat()[:10] if isinstance(value, date) else str(value)[:10]
