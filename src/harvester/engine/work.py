"""A unit of work: one transaction of engine work, handed in to the run book and the
outcome handler and handed back with what they collected (no state on the side)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from harvester.engine.records import DueItem, LiveRun, Slots

Taken = tuple[DueItem, LiveRun]  # a call's queue item, held by us, and its run


@dataclass
class Capacity:
    """The workers and concurrency slots free when a transaction began, as data: a new
    run's first call due now takes from it and is queued already leased. The
    dispatcher reserves what was taken once the transaction commits."""

    owner: str
    lease_until: float
    workers: int  # free workers
    inflight: dict[str, int]  # calls in flight per concurrency key
    limited: bool = True  # may this process take calls with concurrency slots at all?

    def take(self, slots: Slots) -> tuple[str, float] | None:
        """The lease (owner, until) if a worker and every slot are free; takes them."""
        if self.workers <= 0 or (slots and not self.limited):
            return None
        if any(self.inflight.get(k, 0) >= n for k, n in slots):
            return None
        self.workers -= 1
        for k, _ in slots:
            self.inflight[k] = self.inflight.get(k, 0) + 1
        return self.owner, self.lease_until

    def give_back(self, slots: Slots) -> None:
        self.workers += 1
        for k, _ in slots:
            self.inflight[k] -= 1


@dataclass
class Carry:
    """A leased item whose holder may keep it for the run's next call.

    While an SDK call's outcome (or a timer: a sleep's end, a wait's or an invoke's
    timeout) is applied, the first call it schedules for the same run, due at once,
    re-targets this item instead of inserting a new one: the holder goes on to that
    call with no trip through the queue and no new lease.
    """

    item: DueItem
    now: float
    lease_until: float
    next_run: LiveRun | None = None


@dataclass
class UnitOfWork:
    """What one transaction needs and what it collects for after the commit."""

    conn: Connection
    capacity: Capacity | None = None  # may new runs' first calls start at once?
    carry: Carry | None = None  # the leased item an outcome or timer may keep
    emitted: list[dict[str, Any]] = field(default_factory=list)  # events to ingest next
    # First calls taken from ``capacity``, to start once the transaction commits (a run
    # cancelled in this same transaction gives its call back).
    claimed: list[Taken] = field(default_factory=list)

    def take_emitted(self) -> list[dict[str, Any]]:
        out, self.emitted = self.emitted, []
        return out
