"""A unit of work: one transaction of engine work, handed in to the run book and the
outcome handler and handed back with what they collected (no state on the side)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

Taken = tuple[dict[str, Any], dict[str, Any]]  # (a call's queue item, its run)


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
    carry: Carry | None = None  # the leased item an outcome or timer may keep
    emitted: list[dict[str, Any]] = field(default_factory=list)  # events to ingest next
    # First calls of the runs started here (a run cancelled in this same transaction
    # leaves the list): the dispatcher may lease those due now before the commit.
    started: list[Taken] = field(default_factory=list)

    def take_emitted(self) -> list[dict[str, Any]]:
        out, self.emitted = self.emitted, []
        return out
