"""What the guard does while Redis is unreachable (a decision, see docs/reliability.md).

It must neither stop harvesting nor exceed TikTok's budget. So the token bucket and the
breakers fall back to their SQL implementations in the database every process already
shares (Postgres in the scale-out setup), at half the rate and with no burst: the Redis
bucket's last state is unknown, and half the rate leaves room for tokens it had just
granted. Redis is tried again every few seconds; the outage is logged at once, shown in
the guard's snapshot (``degraded``) and alerted by the health check.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from redis.exceptions import RedisError

from harvester.clock import PROCESS_CLOCK
from harvester.guard.breaker import StateStore
from harvester.guard.bucket import BucketBackend
from harvester.store.guard_state import BreakerRecord

log = structlog.get_logger(__name__)

FALLBACK_SHARE = 0.5  # of the configured rate, while Redis is down
FALLBACK_CAPACITY = 1.0  # no burst while Redis is down
PROBE_EVERY_S = 5.0
_FAILURES = (RedisError, OSError)


class RedisOutage:
    """Whether Redis is usable, shared by the bucket and the breaker store."""

    def __init__(self, clock: Callable[[], float] = PROCESS_CLOCK.time) -> None:
        self._clock = clock
        self.since: float | None = None
        self.error = ""
        self._next_probe = 0.0

    def try_redis(self) -> bool:
        """True when Redis is up, or down long enough to be probed again."""
        return self.since is None or self._clock() >= self._next_probe

    def failed(self, exc: BaseException) -> None:
        now = self._clock()
        self._next_probe = now + PROBE_EVERY_S
        self.error = f"{exc.__class__.__name__}: {str(exc)[:200]}"
        if self.since is None:
            self.since = now
            log.error(
                "redis unreachable: the guard uses the database bucket at reduced rate",
                error=self.error,
                share=FALLBACK_SHARE,
            )

    def recovered(self) -> None:
        if self.since is not None:
            log.warning("redis reachable again: the guard is back on Redis",
                        down_seconds=round(self._clock() - self.since, 1))  # fmt: skip
            self.since = None

    def state(self) -> dict[str, Any] | None:
        """None when Redis is in use; else what the guard does instead, since when."""
        if self.since is None:
            return None
        return {
            "reason": f"redis unreachable ({self.error})",
            "since": datetime.fromtimestamp(self.since, UTC).isoformat(),
            "fallback": f"database bucket at {FALLBACK_SHARE:.0%} of the rate, no burst",
        }


class FailoverBucket:
    """A ``BucketBackend``: Redis, or the SQL bucket while Redis is unreachable."""

    def __init__(self, redis: BucketBackend, sql: BucketBackend, outage: RedisOutage) -> None:
        self._redis, self._sql, self.outage = redis, sql, outage

    def take(
        self, name: str, cap: float, rate: float, now: float, want: float, mode: str
    ) -> tuple[bool, float, float]:
        if self.outage.try_redis():
            try:
                got = self._redis.take(name, cap, rate, now, want, mode)
            except _FAILURES as exc:
                self.outage.failed(exc)
            else:
                self.outage.recovered()
                return got
        low_cap = min(cap, FALLBACK_CAPACITY)
        return self._sql.take(name, low_cap, rate * FALLBACK_SHARE, now, want, mode)


class FailoverStore:
    """A breaker ``StateStore``: Redis, or the SQL store while Redis is unreachable."""

    def __init__(self, redis: StateStore, sql: StateStore, outage: RedisOutage) -> None:
        self._redis, self._sql, self.outage = redis, sql, outage

    def _use(self, call: Callable[[StateStore], Any]) -> Any:
        if self.outage.try_redis():
            try:
                got = call(self._redis)
            except _FAILURES as exc:
                self.outage.failed(exc)
            else:
                self.outage.recovered()
                return got
        return call(self._sql)

    def load(self, name: str) -> BreakerRecord | None:
        found: BreakerRecord | None = self._use(lambda s: s.load(name))
        return found

    def save(self, record: BreakerRecord) -> None:
        self._use(lambda s: s.save(record))

    def names(self) -> list[str]:
        return list(self._use(lambda s: s.names()))
