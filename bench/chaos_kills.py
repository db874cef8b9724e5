"""When to kill: from the pipeline's progress, not from a timer, so every stage is hit.

A kill is aimed at a stage: it is fired while a call of that stage is in flight (an
engine holds a live lease on it) in the process that is killed, and only after the
pipeline moved since the last kill (a new step recorded), so chaos never starves it.
Discovery and extraction kills come whenever a call of theirs is in flight
(extraction runs in batches, 50 events or 5 s: each is a chance). Harvest kills are
spaced by the share of videos done: the first as soon as harvesting runs, each next
one after 1/(r+1) of what is left, r being the kills still wanted. So a slow restart
that lets the stage run on compresses the remaining kills into the remaining work
instead of losing them. The role killed is the one with the most armed stages in
flight: a kill that lands in harvest and extraction at once costs one stall. Leases
of killed processes are ignored: their calls are stalled until the lease runs out,
not in flight.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.chaos_check import Kill
from bench.chaos_evidence import (
    STAGE_OF_FN,
    Databases,
    counts,
    expected_comments,
    in_flight,
    settled,
)
from bench.chaos_procs import Procs

POLL_S = 0.05
COUNT_EVERY_S = 0.5
STAGES = ("discovery", "harvest", "extraction")


@dataclass
class Plan:
    """Kills wanted per stage."""

    discovery: int = 1
    harvest: int = 5
    extraction: int = 5

    def wanted(self, stage: str) -> int:
        return int(getattr(self, stage))

    @property
    def total(self) -> int:
        return self.discovery + self.harvest + self.extraction


@dataclass
class Controller:
    dbs: Databases
    procs: Procs
    plan: Plan
    rng: random.Random
    pages: int = 2
    per_page: int = 100
    after_kill: Callable[[int], None] | None = None  # e.g. a service restart after kill n
    # Called once when harvesting has begun (the planted fault goes in then, among the
    # real harvests, not alone where a kill would count it as the harvest stage's).
    on_harvest: Callable[[], None] | None = None
    kills: list[Kill] = field(default_factory=list)
    landed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    dead: set[str] = field(default_factory=set)
    _steps_at_restart: int = -1
    _counts: dict[str, int] = field(default_factory=dict)
    _counted_at: float = 0.0
    _expected: int = 0
    _mark: dict[str, float] = field(default_factory=dict)  # progress at the stage's last kill

    def run(self, deadline: float) -> dict[str, int]:
        """Kill until the plan is done, the pipeline settled or ``deadline`` (monotonic)."""
        while time.monotonic() < deadline and len(self.kills) < self.plan.total:
            c = self._refresh()
            if c and settled(c):
                break
            if self.on_harvest is not None and c.get("harvested"):
                self.on_harvest()
                self.on_harvest = None
            if not c or c.get("steps_done", 0) <= self._steps_at_restart:
                time.sleep(POLL_S)
                continue
            target = self._target(c)
            if target is None:
                time.sleep(POLL_S)
                continue
            self._kill(*target)
        return self._counts

    def _refresh(self) -> dict[str, int]:
        if time.monotonic() - self._counted_at >= COUNT_EVERY_S or not self._counts:
            c = counts(self.dbs)
            if c:
                self._counts, self._counted_at = c, time.monotonic()
                if c.get("videos"):  # discovery stores videos as it goes: re-estimate
                    self._expected = expected_comments(self.dbs, self.pages, self.per_page)
        return self._counts

    def progress(self, stage: str, c: dict[str, int]) -> float:
        """The share of ``stage`` done, 0..1 (discovery: 0, its kills are not spaced)."""
        if stage == "harvest" and c.get("videos"):
            return (c["harvested"] + c["unavailable"]) / c["videos"]
        if stage == "extraction" and self._expected:
            return min(1.0, c.get("extracted", 0) / self._expected)
        return 0.0

    def _armed(self, stage: str, c: dict[str, int]) -> bool:
        done = self.landed[stage]
        left = self.plan.wanted(stage) - done
        if left <= 0:
            return False
        if stage != "harvest" or done == 0:
            # Extraction runs come in batches (50 events or 5 s): each is a chance, not
            # spaced, or the stage ends with kills still wanted.
            return True
        mark = self._mark.get(stage, 0.0)
        return self.progress(stage, c) >= mark + (1.0 - mark) / (left + 1)

    def _target(self, c: dict[str, int]) -> tuple[str, tuple[str, ...], frozenset[str]] | None:
        """(role to kill, the stages it has in flight, its runs in flight), or None.
        Only while every role is up: a lease owner is told from its process by when it
        was made, which is unambiguous only once every restarted engine has made its."""
        if not all(self.procs.ready(r) for r in self.procs.ports):
            return None
        flight = [f for f in in_flight(self.dbs) if f[2] not in self.dead]
        by_role: dict[str, list[tuple[str, str, str]]] = {}
        for f in flight:
            role = self.procs.role_of(f[2])
            if role is not None and self.procs.ready(role):
                by_role.setdefault(role, []).append(f)
        # The role with the most armed stages in flight: a kill that lands in harvest and
        # extraction at once costs one stall (the killed calls wait out their lease).
        best: tuple[int, str] | None = None
        for role in sorted(by_role):
            there = {STAGE_OF_FN.get(f[1], f[1]) for f in by_role[role]}
            n = sum(1 for st in STAGES if st in there and self._armed(st, c))
            if n and (best is None or n > best[0] or (n == best[0] and self.rng.random() < 0.5)):
                best = (n, role)
        if best is None:
            return None
        fs = by_role[best[1]]
        stages = tuple(sorted({STAGE_OF_FN.get(f[1], f[1]) for f in fs}))
        return best[1], stages, frozenset(f[0] for f in fs)

    def _kill(self, role: str, stages: tuple[str, ...], runs: frozenset[str]) -> None:
        owners = {f[2] for f in in_flight(self.dbs)}
        self.dead |= {o for o in owners if self.procs.role_of(o) == role}
        kill = self.procs.kill(role, len(self.kills) + 1, stages, runs)
        self.kills.append(kill)
        for s in stages:
            if s in self.landed:
                self.landed[s] += 1
                self._mark[s] = self.progress(s, self._counts)
        if self.after_kill is not None:
            self.after_kill(kill.n)
        c = counts(self.dbs)
        self._steps_at_restart = c.get("steps_done", self._steps_at_restart)
        back = self.procs.restart_s[-1] if self.procs.ready(role) else None
        after = f"restarted in {back:.1f} s" if back is not None else "restarting meanwhile"
        print(
            f"kill {kill.n:2d} ({role}) in {'+'.join(stages)}: {len(runs)} calls in flight; "
            f"videos {c.get('videos')}, done {c.get('harvested', 0) + c.get('unavailable', 0)}, "
            f"comments {c.get('comments')}, extracted {c.get('extracted')}; {after}",
            flush=True,
        )


def settle(dbs: Databases, deadline: float) -> tuple[dict[str, int], float]:
    """Wait until nothing is left to do (or ``deadline``): the counts, and how long."""
    started = time.monotonic()
    c: dict[str, int] = {}
    while time.monotonic() < deadline:
        c = counts(dbs) or c
        if settled(c):
            break
        time.sleep(1)
    return c, time.monotonic() - started
