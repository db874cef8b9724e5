"""The daily quota ledger: requests and records spent per client key and API on the
current UTC day, shared by every process (Redis when configured, else one SQL row per
key, API and day) and kept across restarts. A new day is a new row, so the reset at
00:00 UTC needs no job.

Spending a request is one atomic conditional increment (``UPDATE … WHERE requests <
limit`` in SQL, a Lua script in Redis): two processes never overspend."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from harvester.clock import PROCESS_CLOCK, from_unix, next_midnight
from harvester.guard.errors import DailyQuotaSpent

if TYPE_CHECKING:  # the SQL backend's, imported where it is built: QuotaStatus and
    # QuotaLedger with another backend (doctor's look at a SQLite file) need no SQLAlchemy
    from harvester.store import Database

APIS = ("research", "commercial")
# Documented for the Research API; the Commercial Content API's are not documented,
# so the same defaults apply until configured otherwise.
DEFAULT_REQUESTS_PER_DAY = 1_000
DEFAULT_RECORDS_PER_DAY = 100_000

# KEYS[1] the day's hash; ARGV: mode (request | records), n, request limit, record
# limit, time to live (s). Returns {granted 0/1, requests, records}. The expiry is a
# relative TTL computed from the ledger's own clock: an absolute EXPIREAT would be read
# against the Redis server's real time and drop the key at once when the two differ.
_LUA = """
local r = tonumber(redis.call('HGET', KEYS[1], 'requests') or '0')
local c = tonumber(redis.call('HGET', KEYS[1], 'records') or '0')
local granted = 1
if ARGV[1] == 'request' then
  if r >= tonumber(ARGV[3]) or c >= tonumber(ARGV[4]) then granted = 0
  else r = redis.call('HINCRBY', KEYS[1], 'requests', 1) end
elseif ARGV[1] == 'records' then
  c = redis.call('HINCRBY', KEYS[1], 'records', tonumber(ARGV[2]))
end
if ARGV[1] ~= 'peek' then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5])) end
return {granted, r, c}
"""


@dataclass(frozen=True)
class QuotaStatus:
    """The day so far for one API: what was used, the limits, when they reset."""

    used_requests: int
    used_records: int
    limit_requests: int
    limit_records: int
    resets_at: datetime

    @property
    def left_requests(self) -> int:
        return max(0, self.limit_requests - self.used_requests)

    @property
    def left_records(self) -> int:
        return max(0, self.limit_records - self.used_records)

    @property
    def spent(self) -> bool:
        return self.left_requests == 0 or self.left_records == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "used_requests": self.used_requests,
            "used_records": self.used_records,
            "limit_requests": self.limit_requests,
            "limit_records": self.limit_records,
            "left_requests": self.left_requests,
            "left_records": self.left_records,
            "resets_at": self.resets_at.isoformat(),
        }


class LedgerBackend(Protocol):
    def spend(
        self, key: tuple[str, str, str], mode: str, n: int, limits: tuple[int, int], now: float
    ) -> tuple[bool, int, int]:
        """mode ``request`` (one, if under both limits) | ``records`` (n) | ``peek``."""
        ...


class SqlLedger:
    """One row per key and day (the store's ``GuardState``). A spend is one conditional
    ``UPDATE … RETURNING``: atomic on SQLite and Postgres alike. The row is seeded once
    a day."""

    def __init__(self, db: Database) -> None:
        from harvester.store.guard_state import GuardState

        self._state = GuardState(db)
        self._seeded: set[tuple[str, str, str]] = set()

    def spend(
        self, key: tuple[str, str, str], mode: str, n: int, limits: tuple[int, int], now: float
    ) -> tuple[bool, int, int]:
        from harvester.store.guard_state import QuotaKey

        cached = key in self._seeded
        if mode != "peek" and not cached:
            self._seed(key, now)
        row_key = QuotaKey(*key)
        if mode == "request":
            granted, row = self._state.count_request(row_key, limits, now)
        elif mode == "records":
            row = self._state.count_records(row_key, n, now)
            granted = row is not None
        else:
            granted, row = True, self._state.quota_usage(row_key)
        if row is None and mode != "peek" and cached:
            self._seeded.discard(key)  # the row went away (a reset database): seed again
            return self.spend(key, mode, n, limits, now)
        return granted, (row.requests if row else 0), (row.records if row else 0)

    def _seed(self, key: tuple[str, str, str], now: float) -> None:
        from harvester.store.guard_state import QuotaKey

        self._state.seed_quota(QuotaKey(*key), now)
        self._seeded = {k for k in self._seeded if k[2] == key[2]} | {key}


class RedisLedger:
    def __init__(self, url: str, prefix: str = "harvester:quota:") -> None:
        import redis

        self._redis: Any = redis.Redis.from_url(url)
        self._script = self._redis.register_script(_LUA)
        self._prefix = prefix

    def spend(
        self, key: tuple[str, str, str], mode: str, n: int, limits: tuple[int, int], now: float
    ) -> tuple[bool, int, int]:
        # Kept a day past its reset so yesterday's figures stay readable for a while.
        ttl = math.ceil(next_midnight(now).timestamp() - now) + 86_400
        g, r, c = self._script(
            keys=[self._prefix + ":".join(key)], args=[mode, n, limits[0], limits[1], ttl]
        )
        return bool(int(g)), int(r), int(c)


class QuotaLedger:
    """The budget the official clients spend at their one choke point."""

    def __init__(
        self,
        backend: LedgerBackend,
        client_key: str,
        requests_per_day: int = DEFAULT_REQUESTS_PER_DAY,
        records_per_day: int = DEFAULT_RECORDS_PER_DAY,
        clock: Callable[[], float] = PROCESS_CLOCK.time,
    ) -> None:
        self.backend = backend
        self.client_key = client_key
        self.limits = (requests_per_day, records_per_day)
        self._clock = clock

    def _key(self, api: str, now: float) -> tuple[str, str, str]:
        if api not in APIS:
            raise ValueError(f"unknown API {api!r}: expected one of {', '.join(APIS)}")
        return self.client_key, api, from_unix(now).date().isoformat()

    async def spend_request(self, api: str) -> None:
        """Count one data request before it is sent; DailyQuotaSpent when none is left."""
        now = self._clock()
        granted, used, records = self.backend.spend(
            self._key(api, now), "request", 1, self.limits, now
        )
        if not granted:
            what = (
                f"{self.limits[1]:,} records" if records >= self.limits[1] else f"{used:,} requests"
            )
            reset = next_midnight(now)
            raise DailyQuotaSpent(
                f"{api} API: today's quota is spent ({what}); it resets at {reset:%H:%M} UTC",
                reset,
                from_unix(now),
            )

    async def spend_records(self, api: str, n: int) -> None:
        """Count the records a response carried (they were received: never refused)."""
        if n > 0:
            now = self._clock()
            self.backend.spend(self._key(api, now), "records", n, self.limits, now)

    def status(self, api: str) -> QuotaStatus:
        """Today's use of ``api`` by this client key."""
        now = self._clock()
        _, used, records = self.backend.spend(self._key(api, now), "peek", 0, self.limits, now)
        return QuotaStatus(used, records, self.limits[0], self.limits[1], next_midnight(now))


def make_ledger(
    db: Database,
    redis_url: str | None,
    client_key: str,
    requests_per_day: int = DEFAULT_REQUESTS_PER_DAY,
    records_per_day: int = DEFAULT_RECORDS_PER_DAY,
    clock: Callable[[], float] = PROCESS_CLOCK.time,
) -> QuotaLedger:
    """Redis when ``redis_url`` is set, else the app database."""
    backend: LedgerBackend = RedisLedger(redis_url) if redis_url else SqlLedger(db)
    return QuotaLedger(backend, client_key, requests_per_day, records_per_day, clock)
