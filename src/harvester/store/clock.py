"""The store's time helpers: every timestamp it keeps is UTC, and "now" and "today"
come from the one clock (``harvester.clock``), never from the wall."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from harvester.clock import start_of_day, today, utcnow

__all__ = ["as_utc", "iso_day", "stale_cutoff", "start_of_day", "today", "utcnow"]


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every timestamp we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def stale_cutoff(now: datetime, hours: float) -> datetime:
    return now - timedelta(hours=hours)


def iso_day(value: Any) -> str:
    return value.isoformat()[:10] if isinstance(value, date) else str(value)[:10]
