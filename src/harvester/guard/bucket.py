"""A token bucket shared by every process: Redis (atomic Lua) or the SQL database
(one row per bucket, updated under the row's write lock)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from harvester.clock import PROCESS_CLOCK
from harvester.guard.errors import BudgetExhausted
from harvester.store import Database
from harvester.store.guard_state import BucketRecord, GuardState

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# KEYS[1] bucket; ARGV: capacity, rate/s, now, tokens wanted, mode: take | peek | force
# (force subtracts even below zero: how a 429's Retry-After silences every caller).
# Returns {granted(0/1), tokens left (string), wait seconds (string)}.
_LUA = """
local cap = tonumber(ARGV[1]); local rate = tonumber(ARGV[2]); local now = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local s = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(s[1]) or cap; local ts = tonumber(s[2]) or now
if ts > now then now = ts end
tokens = math.min(cap, tokens + (now - ts) * rate)
local granted = 0; local wait = 0
if ARGV[5] == 'force' or tokens >= want then tokens = tokens - want; granted = 1
else wait = (want - tokens) / rate end
if ARGV[5] ~= 'peek' then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('EXPIRE', KEYS[1], 86400)
end
return {granted, tostring(tokens), tostring(wait)}
"""


class BucketBackend(Protocol):
    def take(
        self, name: str, cap: float, rate: float, now: float, want: float, mode: str
    ) -> tuple[bool, float, float]: ...


class SqlBucket:
    """Bucket rows in SQL: each take is one read-modify-write under the row's lock
    (the store's ``GuardState.update_bucket``), so it is atomic across processes."""

    def __init__(self, db: Database) -> None:
        self._state = GuardState(db)

    def take(
        self, name: str, cap: float, rate: float, now: float, want: float, mode: str
    ) -> tuple[bool, float, float]:
        def change(row: BucketRecord) -> tuple[BucketRecord | None, tuple[bool, float, float]]:
            # ``now`` was read before we got the lock: never move the bucket's time back.
            at = max(now, row.updated_at)
            tokens = min(cap, row.tokens + (at - row.updated_at) * rate)
            granted = mode == "force" or tokens >= want
            wait = 0.0 if granted else (want - tokens) / rate
            if granted:
                tokens -= want
            new = None if mode == "peek" else BucketRecord(name, tokens, at)
            return new, (granted, tokens, wait)

        return self._state.update_bucket(BucketRecord(name, cap, now), change)


class RedisBucket:
    def __init__(self, url: str, prefix: str = "harvester:bucket:") -> None:
        from harvester.guard.redis_client import connect

        self._redis: Any = connect(url)
        self._script = self._redis.register_script(_LUA)
        self._prefix = prefix

    def take(
        self, name: str, cap: float, rate: float, now: float, want: float, mode: str
    ) -> tuple[bool, float, float]:
        g, tokens, wait = self._script(
            keys=[self._prefix + name], args=[cap, rate, now, want, mode]
        )
        return bool(int(g)), float(tokens), float(wait)


class TokenBucket:
    """``rate_per_minute`` tokens a minute, up to ``capacity`` saved (burst)."""

    def __init__(
        self,
        backend: BucketBackend,
        rate_per_minute: float,
        capacity: float | None = None,
        clock: Clock = PROCESS_CLOCK.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.backend = backend
        self.rate = rate_per_minute / 60.0
        # No burst by default: any minute then sees at most rate + 1 calls.
        self.capacity = capacity if capacity is not None else 1.0
        self._clock = clock
        self._sleep = sleep

    async def acquire(self, name: str, tokens: float = 1.0, timeout: float = 30.0) -> None:
        """Take tokens, waiting for them; BudgetExhausted when the wait would pass timeout."""
        waited = 0.0
        while True:
            granted, _left, wait = self.backend.take(
                name, self.capacity, self.rate, self._clock(), tokens, "take"
            )
            if granted:
                return
            if waited + wait > timeout:
                raise BudgetExhausted(f"bucket {name!r} empty for {wait:.1f}s more", wait)
            await self._sleep(wait)
            waited += wait

    def peek(self, name: str) -> float:
        """Tokens available now (without taking any)."""
        return self.backend.take(name, self.capacity, self.rate, self._clock(), 0, "peek")[1]

    def drain(self, name: str, seconds: float) -> None:
        """The server said 429: empty the bucket for ``seconds`` for every process."""
        left = self.peek(name)
        self.backend.take(
            name,
            self.capacity,
            self.rate,
            self._clock(),
            max(0.0, left) + seconds * self.rate,
            "force",
        )
