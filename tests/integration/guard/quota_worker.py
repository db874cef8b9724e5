"""Run by the quota test in separate processes: 10 concurrent callers spend requests
from one shared ledger until it refuses; print how many each process was granted."""

from __future__ import annotations

import asyncio
import sys

from harvester.guard.errors import DailyQuotaSpent
from harvester.guard.quota import QuotaLedger, RedisLedger, SqlLedger
from harvester.store import Database


async def main(kind: str, url: str, client_key: str, limit: int) -> None:
    backend = RedisLedger(url) if kind == "redis" else SqlLedger(Database(url))
    ledger = QuotaLedger(backend, client_key, requests_per_day=limit)
    granted = 0

    async def caller() -> None:
        nonlocal granted
        while True:
            try:
                await ledger.spend_request("research")
            except DailyQuotaSpent:
                return
            granted += 1
            await asyncio.sleep(0)

    await asyncio.gather(*(caller() for _ in range(10)))
    print(granted)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
