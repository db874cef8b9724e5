"""Shared protection of the TikTok budget: token bucket, circuit breakers, kill switch."""

from harvester.guard.breaker import CircuitBreaker
from harvester.guard.bucket import TokenBucket
from harvester.guard.errors import BudgetExhausted, CircuitOpen, GuardError, KillSwitchOn
from harvester.guard.facade import Guard
from harvester.guard.killswitch import KillSwitch

__all__ = [
    "BudgetExhausted",
    "CircuitBreaker",
    "CircuitOpen",
    "Guard",
    "GuardError",
    "KillSwitch",
    "KillSwitchOn",
    "TokenBucket",
]
