"""The guard's Redis connections: short timeouts, so a silent Redis cannot hang a
TikTok call (the failover then takes over)."""

from __future__ import annotations

from typing import Any

REDIS_TIMEOUT_S = 2.0


def connect(url: str) -> Any:
    """A synchronous Redis client for ``url`` with the guard's timeouts."""
    import redis

    return redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
    )
