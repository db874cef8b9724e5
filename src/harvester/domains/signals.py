"""The signals an analyst reads on a domain row, as pure rules over its numbers.

The store computes the numbers (counts per day, distinct videos and advertisers, the
registration date); these rules say what they mean, in one place, so the dashboard,
the API, the CLI, the alerts and the report agree.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta


class Signal(enum.StrEnum):
    YOUNG = "young"
    PUSHED = "pushed"
    NEW_TODAY = "new_today"
    SPIKING = "spiking"
    SHORTENER = "shortener"
    BLOCKLISTED = "blocklisted"


@dataclass(frozen=True)
class Thresholds:
    """When a number becomes a signal (settings can change each)."""

    young_days: int = 30
    pushed_advertisers: int = 3
    pushed_videos: int = 5
    spike_min_mentions: int = 5
    spike_factor: float = 3.0


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class DomainFacts:
    """The numbers of one domain the rules read."""

    first_seen_at: datetime
    videos: int
    advertisers: int
    mentions_today: int
    trailing_week: int  # mentions over the 7 days before today
    registered_at: datetime | None
    is_shortener: bool
    blocklisted: bool


def is_young(registered_at: datetime | None, today: date, t: Thresholds) -> bool:
    """Registered fewer than ``young_days`` days ago (unknown age is not young)."""
    return registered_at is not None and registered_at.date() > today - timedelta(t.young_days)


def is_spiking(today_count: int, trailing_week: int, t: Thresholds) -> bool:
    """Today's mentions reach the minimum and ``spike_factor`` times the week's daily mean."""
    mean = trailing_week / 7
    return today_count >= t.spike_min_mentions and today_count >= t.spike_factor * mean


def signals_of(f: DomainFacts, today: date, t: Thresholds = DEFAULT_THRESHOLDS) -> list[Signal]:
    """Every signal that holds for ``f`` on ``today``, in a stable order."""
    out = []
    if is_young(f.registered_at, today, t):
        out.append(Signal.YOUNG)
    if f.advertisers >= t.pushed_advertisers or f.videos >= t.pushed_videos:
        out.append(Signal.PUSHED)
    if f.first_seen_at.date() == today:
        out.append(Signal.NEW_TODAY)
    if is_spiking(f.mentions_today, f.trailing_week, t):
        out.append(Signal.SPIKING)
    if f.is_shortener:
        out.append(Signal.SHORTENER)
    if f.blocklisted:
        out.append(Signal.BLOCKLISTED)
    return out
