"""Run by the bucket test in separate processes: 20 concurrent callers take tokens
for a fixed time and print when each token was granted (JSON)."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from harvester.guard.bucket import RedisBucket, SqlBucket, TokenBucket
from harvester.store import Database


async def main(backend_kind: str, url: str, name: str, seconds: float) -> None:
    backend = RedisBucket(url) if backend_kind == "redis" else SqlBucket(Database(url))
    bucket = TokenBucket(backend, rate_per_minute=600, capacity=5)
    stamps: list[float] = []
    stop = time.time() + seconds

    async def caller() -> None:
        while time.time() < stop:
            try:
                await bucket.acquire(name, timeout=max(0.0, stop - time.time()))
            except Exception:
                return
            if time.time() <= stop:
                stamps.append(time.time())

    await asyncio.gather(*(caller() for _ in range(20)))
    print(json.dumps(stamps))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
