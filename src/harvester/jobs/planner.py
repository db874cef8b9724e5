"""The quota planner (pure: no I/O, no clock of its own).

Given the requests left today, the time to the reset and the cycle period, it gives
one cycle its allowance — the day's remainder spread evenly over the cycles still to
come, so a fresh budget is never spent in the first ten minutes, and what a quiet
cycle leaves unspent rolls over to the next ones. It then orders candidate work by
value (videos of new ads, never harvested, before re-harvests of stale ones) and takes
as much as the allowance pays for."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

CYCLE_SECONDS = 600.0  # discovery's cron: */10


class WorkKind(enum.StrEnum):
    NEW = "new"  # a video of an ad never harvested: the point of the tool
    REHARVEST = "reharvest"  # a harvested video gone stale: new comments, maybe


_RANK = {WorkKind.NEW: 0, WorkKind.REHARVEST: 1}


@dataclass(frozen=True)
class Candidate:
    """One harvest that could be started; ``cost`` is the requests it may spend."""

    video_id: str
    kind: WorkKind
    cost: int
    discovered_at: datetime | None = None
    last_harvested_at: datetime | None = None


@dataclass(frozen=True)
class Plan:
    allowance: int
    chosen: list[Candidate]
    deferred: list[Candidate]

    @property
    def cost(self) -> int:
        return sum(c.cost for c in self.chosen)


def cycle_allowance(left: int, seconds_to_reset: float, period: float = CYCLE_SECONDS) -> int:
    """Requests this cycle may spend: ``left`` shared by the cycles before the reset
    (this one included), rounded up so the last cycle of the day takes the remainder."""
    if left <= 0:
        return 0
    cycles = max(1, math.ceil(max(0.0, seconds_to_reset) / period))
    return min(left, math.ceil(left / cycles))


def by_value(candidates: Iterable[Candidate]) -> list[Candidate]:
    """New ads' videos first (the most recently discovered first), then re-harvests
    (the longest unharvested first); ties broken by video id for a stable order."""

    def key(c: Candidate) -> tuple[int, float, str]:
        if c.kind is WorkKind.NEW:
            when = -(c.discovered_at.timestamp() if c.discovered_at else 0.0)
        else:
            when = c.last_harvested_at.timestamp() if c.last_harvested_at else 0.0
        return _RANK[c.kind], when, c.video_id

    return sorted(candidates, key=key)


def choose(candidates: Sequence[Candidate], allowance: int) -> Plan:
    """The most valuable candidates whose costs fit in ``allowance``, in value order."""
    chosen: list[Candidate] = []
    deferred: list[Candidate] = []
    budget = allowance
    seen: set[str] = set()
    for c in by_value(candidates):
        if c.video_id in seen:
            continue
        seen.add(c.video_id)
        if c.cost <= budget:
            chosen.append(c)
            budget -= c.cost
        else:
            deferred.append(c)
    return Plan(allowance=allowance, chosen=chosen, deferred=deferred)


def plan_cycle(
    candidates: Sequence[Candidate],
    left: int,
    seconds_to_reset: float,
    *,
    spread: bool = True,
    period: float = CYCLE_SECONDS,
) -> Plan:
    """This cycle's work: spread over the day (cron cycles), or everything left today
    (``spread=False``: a run an operator asked for)."""
    allowance = cycle_allowance(left, seconds_to_reset, period) if spread else max(0, left)
    return choose(candidates, allowance)
