"""Shared protection of the TikTok budget: token bucket, circuit breakers, kill switch."""

from harvester.guard.breaker import CircuitBreaker
from harvester.guard.bucket import TokenBucket
from harvester.guard.errors import (
    BudgetExhausted,
    CircuitOpen,
    DailyQuotaSpent,
    GuardError,
    KillSwitchOn,
)
from harvester.guard.facade import Guard
from harvester.guard.killswitch import KillSwitch
from harvester.guard.quota import QuotaLedger, QuotaStatus

__all__ = [
    "BudgetExhausted",
    "CircuitBreaker",
    "CircuitOpen",
    "DailyQuotaSpent",
    "Guard",
    "GuardError",
    "KillSwitch",
    "KillSwitchOn",
    "QuotaLedger",
    "QuotaStatus",
    "TokenBucket",
]
