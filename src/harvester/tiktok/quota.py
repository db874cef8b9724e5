"""The seam between the official clients and a daily quota ledger.

Every data request of the official clients passes one choke point that calls
``spend_request`` before sending and ``spend_records`` after a response carrying
records. ``InMemoryQuota`` is the per-process default; a persistent, shared ledger
(``harvester.guard``) can be passed instead — this module imports nothing from it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from harvester.clock import PROCESS_CLOCK
from harvester.tiktok.errors import QuotaExhausted

RESEARCH = "research"
COMMERCIAL = "commercial"


class QuotaSpender(Protocol):
    """What the clients spend; an implementation may raise ``QuotaExhausted``."""

    async def spend_request(self, api: str) -> None:
        """Called before each data request; ``api`` is "research" or "commercial"."""
        ...

    async def spend_records(self, api: str, n: int) -> None:
        """Called after a response that returned ``n`` records."""
        ...


def next_reset(now: datetime) -> datetime:
    """The next 00:00 UTC, when TikTok's daily quotas reset."""
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)


class InMemoryQuota:
    """Requests per UTC day and per api, counted in this process only."""

    def __init__(
        self, requests_per_day: int = 1000, clock: Callable[[], float] = PROCESS_CLOCK.time
    ) -> None:
        self.requests_per_day = requests_per_day
        self._clock = clock
        self._used: dict[str, tuple[str, int]] = {}
        self.records: dict[str, int] = {}

    def used(self, api: str) -> int:
        day = datetime.fromtimestamp(self._clock(), UTC).date().isoformat()
        seen_day, n = self._used.get(api, ("", 0))
        return n if seen_day == day else 0

    async def spend_request(self, api: str) -> None:
        now = datetime.fromtimestamp(self._clock(), UTC)
        used = self.used(api) + 1
        if used > self.requests_per_day:
            raise QuotaExhausted(
                f"{api}: daily quota of {self.requests_per_day} requests used up",
                next_reset(now),
            )
        self._used[api] = (now.date().isoformat(), used)

    async def spend_records(self, api: str, n: int) -> None:
        self.records[api] = self.records.get(api, 0) + n
