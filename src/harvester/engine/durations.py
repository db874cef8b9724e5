"""Inngest duration strings ("30s", "1m", "2h30m", "7d", "1w") and cron expressions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(value: str | int | float) -> float:
    """Seconds in a duration; ValueError naming the bad value."""
    if isinstance(value, int | float):
        return float(value) / 1000.0  # the SDK sends bare numbers in milliseconds
    text = value.strip()
    pos, total = 0, 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError(f"invalid duration {value!r} (use e.g. 30s, 5m, 2h, 7d)")
    return total


def parse_cron(expr: str) -> tuple[str, ZoneInfo | None]:
    """Validate ``[TZ=Area/City ]m h dom mon dow``; returns (fields, zone)."""
    zone = None
    text = expr.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        tz, _, text = text.partition(" ")
        try:
            zone = ZoneInfo(tz.split("=", 1)[1])
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone in cron {expr!r}") from exc
    if len(text.split()) != 5 or not croniter.is_valid(text):
        raise ValueError(f"invalid cron expression {expr!r} (5 fields: m h dom mon dow)")
    return text, zone


def next_tick(expr: str, after: float) -> float:
    """The first tick strictly after ``after`` (epoch seconds)."""
    fields, zone = parse_cron(expr)
    base = datetime.fromtimestamp(after, zone or UTC)
    return float(croniter(fields, base).get_next(float))
