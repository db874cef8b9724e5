"""``Guard``: what every TikTok call passes through — kill switch, breaker, bucket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from harvester.clock import PROCESS_CLOCK
from harvester.guard.breaker import CircuitBreaker, RedisStateStore, SqlStateStore, StateStore
from harvester.guard.bucket import BucketBackend, RedisBucket, SqlBucket, TokenBucket
from harvester.guard.errors import DailyQuotaSpent, KillSwitchOn
from harvester.guard.failover import FailoverBucket, FailoverStore, RedisOutage
from harvester.guard.killswitch import KillSwitch
from harvester.guard.quota import APIS, QuotaLedger, make_ledger
from harvester.store import Database

BUCKET = "tiktok"
MAX_WAIT_S = 30.0


class Guard:
    def __init__(
        self,
        db: Database,
        redis_url: str | None,
        rate_per_minute: int,
        burst: int | None = None,
        clock: Callable[[], float] = PROCESS_CLOCK.time,
        quota: QuotaLedger | None = None,
        **bucket_kwargs: Any,
    ) -> None:
        self.outage: RedisOutage | None = None
        backend: BucketBackend = SqlBucket(db)
        store: StateStore = SqlStateStore(db)
        if redis_url:  # with the database as the fallback while Redis is down (failover.py)
            self.outage = RedisOutage(clock)
            backend = FailoverBucket(RedisBucket(redis_url), backend, self.outage)
            store = FailoverStore(RedisStateStore(redis_url), store, self.outage)
        self.bucket = TokenBucket(backend, rate_per_minute, burst, clock=clock, **bucket_kwargs)
        self.breaker = CircuitBreaker(store, clock=clock)
        self.kill_switch = KillSwitch(db)
        self.backend = "redis" if redis_url else "database"
        # The daily quota ledger the official clients spend (see guard/quota.py).
        self.quota = quota or make_ledger(db, redis_url, "default", clock=clock)

    @asynccontextmanager
    async def call(self, endpoint: str) -> AsyncIterator[None]:
        """Admit one call to ``endpoint`` and record how it went."""
        if await self.kill_switch.is_on():
            raise KillSwitchOn("the kill switch is on: TikTok calls are paused")
        self.breaker.allow(endpoint)
        await self.bucket.acquire(BUCKET, timeout=MAX_WAIT_S)
        try:
            yield
        except DailyQuotaSpent:
            raise  # our own ledger refused: nothing was sent, TikTok is not slow or down
        except Exception as exc:
            retry_after = getattr(exc, "retry_after", None)
            if retry_after:
                self.bucket.drain(BUCKET, float(retry_after))
            if getattr(exc, "counts_as_failure", True):
                self.breaker.failure(endpoint)
            raise
        self.breaker.success(endpoint)

    async def snapshot(self) -> dict[str, Any]:
        """JSON-able state for health checks and the dashboard."""
        return {
            "backend": self.backend,
            "bucket": {
                "tokens": round(self.bucket.peek(BUCKET), 2),
                "capacity": round(self.bucket.capacity, 2),
                "rate_per_minute": round(self.bucket.rate * 60, 2),
            },
            "breakers": self.breaker.states(),
            "kill_switch": await self.kill_switch.state(),
            "quota": self._quota_snapshot(),
            "degraded": self.outage.state() if self.outage else None,
        }

    def _quota_snapshot(self) -> dict[str, Any]:
        """Today's quota per API; while its store (Redis) is down, why it is unknown
        (spending then fails and the step retries: the ledger never overspends)."""
        try:
            return {api: self.quota.status(api).as_dict() for api in APIS}
        except Exception as exc:
            return {"error": f"quota ledger unreadable: {type(exc).__name__}: {exc}"[:300]}
