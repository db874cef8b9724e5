"""A simulated day of discovery cycles under a daily quota: the real ledger (SQLite)
and the real planner, one fake clock. Every 10 minutes new ads' videos arrive (more by
day than by night), yesterday's videos go stale, and the planner picks this cycle's
harvests; each harvest then spends 1 or 2 requests (early stop) through the ledger.
The process "restarts" at noon (a new ledger on the same database).

    uv run python bench/bench_quota.py [--quota 1000] [--demand 1.0] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harvester.guard import DailyQuotaSpent
from harvester.guard.quota import QuotaLedger, SqlLedger
from harvester.jobs.planner import CYCLE_SECONDS, Candidate, WorkKind, plan_cycle
from harvester.store import Database, upgrade

DAY_START = datetime(2026, 12, 1, tzinfo=UTC)
PAGES_PER_HARVEST = 2


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now.timestamp()


@dataclass
class Day:
    spent_per_cycle: list[int] = field(default_factory=list)
    max_used: int = 0
    refused: int = 0
    new_harvested: int = 0
    reharvested: int = 0
    new_arrived: int = 0
    left_over: int = 0


def _arrivals(rng: random.Random, hour: float, demand: float) -> int:
    """New ads' videos found in one cycle: a daily curve peaking mid-afternoon."""
    mean = demand * (1.0 + 4.0 * max(0.0, math.sin(math.pi * (hour - 6) / 18)))
    return sum(1 for _ in range(int(mean * 4)) if rng.random() < 0.25)


async def _harvest(ledger: QuotaLedger, rng: random.Random, day: Day) -> int:
    """One harvest: 1 or 2 comment pages (early stop), each a ledger request."""
    pages = 1 if rng.random() < 0.4 else PAGES_PER_HARVEST
    spent = 0
    for _ in range(pages):
        try:
            await ledger.spend_request("research")
        except DailyQuotaSpent:
            day.refused += 1
            break
        spent += 1
        await ledger.spend_records("research", rng.randint(20, 100))
        day.max_used = max(day.max_used, ledger.status("research").used_requests)
    return spent


async def simulate(quota: int, demand: float, seed: int, db: Database) -> Day:
    rng = random.Random(seed)
    clock = FakeClock(DAY_START)
    ledger = QuotaLedger(SqlLedger(db), "bench", requests_per_day=quota, clock=clock)
    end = DAY_START + timedelta(days=1)
    # Yesterday's videos, harvested over yesterday: each goes stale 24 h later.
    stale_at = sorted(DAY_START + timedelta(seconds=rng.uniform(0, 86_400)) for _ in range(300))
    backlog: list[Candidate] = []
    day, n = Day(), 0
    while clock.now < end:
        if clock.now.hour == 12 and clock.now.minute == 0:  # a restart: state is in the DB
            ledger = QuotaLedger(SqlLedger(db), "bench", requests_per_day=quota, clock=clock)
        for _ in range(_arrivals(rng, clock.now.hour + clock.now.minute / 60, demand)):
            n += 1
            day.new_arrived += 1
            backlog.append(Candidate(f"n{n}", WorkKind.NEW, PAGES_PER_HARVEST, clock.now))
        while stale_at and stale_at[0] <= clock.now:
            was = stale_at.pop(0) - timedelta(days=1)
            n += 1
            backlog.append(Candidate(f"r{n}", WorkKind.REHARVEST, PAGES_PER_HARVEST, was, was))
        status = ledger.status("research")
        plan = plan_cycle(backlog, status.left_requests, (end - clock.now).total_seconds())
        spent = 0
        for c in plan.chosen:
            spent += await _harvest(ledger, rng, day)
            if c.kind is WorkKind.NEW:
                day.new_harvested += 1
            else:
                day.reharvested += 1
        backlog = plan.deferred
        day.spent_per_cycle.append(spent)
        clock.now += timedelta(seconds=CYCLE_SECONDS)
    day.left_over = len(backlog)
    return day


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quota", type=int, default=1000, help="research requests per day")
    ap.add_argument("--demand", type=float, default=1.0, help="scale of new videos per cycle")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        db = Database(f"sqlite:///{Path(d) / 'q.db'}")
        upgrade(db)
        day = asyncio.run(simulate(args.quota, args.demand, args.seed, db))
        db.dispose()
    total = sum(day.spent_per_cycle)
    print(
        f"quota {args.quota}/day, {len(day.spent_per_cycle)} cycles of 10 min, "
        f"{day.new_arrived} new videos + 300 re-harvests offered, restart at 12:00"
    )
    print(
        f"spent: {total / args.quota:.1%} ({total}); max ever used: {day.max_used} "
        f"(≤ {args.quota}: {day.max_used <= args.quota}); refused by the ledger: {day.refused}"
    )
    print(
        f"per cycle: first {day.spent_per_cycle[0]}, max {max(day.spent_per_cycle)}, "
        f"first hour {sum(day.spent_per_cycle[:6])}; harvests: {day.new_harvested} new, "
        f"{day.reharvested} re-harvests; left for tomorrow: {day.left_over}"
    )


if __name__ == "__main__":
    main()
