"""A unit of work: one transaction of engine work, handed in to the run book and the
outcome handler and handed back with what they collected (no state on the side)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

# Takes a worker and the run's concurrency slots now if both are free; returns the
# lease (owner, until) to write on the new call item, or None.
Claim = Callable[[list[list[Any]]], tuple[str, float] | None]
Taken = tuple[dict[str, Any], dict[str, Any]]  # (leased call item, its run)


@dataclass
class Carry:
    """A leased item whose holder may keep it for the run's next call.

    While an SDK call's outcome (or a timer: a sleep's end, a wait's or an invoke's
    timeout) is applied, the first call it schedules for the same run, due at once,
    re-targets this item instead of inserting a new one: the holder goes on to that
    call with no trip through the queue and no new lease.
    """

    item: dict[str, Any]
    now: float
    lease_until: float
    next_run: dict[str, Any] | None = None


@dataclass
class UnitOfWork:
    """What one transaction needs and what it collects for after the commit."""

    conn: Connection
    claim: Claim | None = None  # may a new run's first call start at once?
    carry: Carry | None = None  # the leased item an outcome or timer may keep
    emitted: list[dict[str, Any]] = field(default_factory=list)  # events to ingest next
    # New runs' first calls taken by ``claim``, to start once the transaction commits;
    # a run cancelled in that same transaction moves to ``unclaimed``.
    claimed: list[Taken] = field(default_factory=list)
    unclaimed: list[Taken] = field(default_factory=list)

    def take_emitted(self) -> list[dict[str, Any]]:
        out, self.emitted = self.emitted, []
        return out
