"""Calling TikTok from a step: the guard first, then the source; errors mapped to the
retry semantics Inngest understands (``RetryAfterError`` honours the server's hint)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import inngest

from harvester.clock import utcnow
from harvester.guard import BudgetExhausted, CircuitOpen, DailyQuotaSpent, KillSwitchOn
from harvester.jobs.metrics import API_CALLS
from harvester.tiktok import QuotaExhausted, RateLimited, SourceRejected

T = TypeVar("T")


class Paused(Exception):
    """The kill switch is on: the caller waits for it to go off instead of failing."""


def _retry_at(seconds: float, why: str) -> inngest.RetryAfterError:
    at = utcnow() + timedelta(seconds=max(1.0, seconds))
    return inngest.RetryAfterError(why, at)


async def call_tiktok(endpoint: str, call: Callable[[], Awaitable[T]]) -> T:
    """Run one guarded source call, counting its outcome; raise what the engine retries."""
    try:
        result = await call()
    except KillSwitchOn as exc:
        API_CALLS.labels(endpoint, "paused").inc()
        raise Paused(str(exc)) from exc
    except (RateLimited, BudgetExhausted, CircuitOpen) as exc:
        API_CALLS.labels(endpoint, type(exc).__name__).inc()
        raise _retry_at(exc.retry_after, f"{endpoint}: {exc}") from exc
    except (QuotaExhausted, DailyQuotaSpent) as exc:
        # Sleep until the reset (00:00 UTC): hammering a spent quota never succeeds.
        API_CALLS.labels(endpoint, "quota").inc()
        wait = (exc.reset_at - utcnow()).total_seconds()
        raise _retry_at(wait, f"{endpoint}: daily quota used up until {exc.reset_at}") from exc
    except SourceRejected as exc:
        # scope_not_authorized, invalid_params, bad credentials: a retry cannot succeed.
        API_CALLS.labels(endpoint, "rejected").inc()
        raise inngest.NonRetriableError(f"{endpoint}: {exc}") from exc
    except Exception:
        API_CALLS.labels(endpoint, "error").inc()
        raise
    API_CALLS.labels(endpoint, "ok").inc()
    return result
