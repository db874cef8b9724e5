"""Shared protection of the TikTok quota and rate: token bucket, circuit breakers, kill switch.

The names below are loaded on first use (PEP 562), so that importing one part (the
quota ledger for ``harvester doctor``) does not import them all."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE = {
    "BudgetExhausted": "errors",
    "CircuitBreaker": "breaker",
    "CircuitOpen": "errors",
    "DailyQuotaSpent": "errors",
    "Guard": "facade",
    "GuardError": "errors",
    "KillSwitch": "killswitch",
    "KillSwitchOn": "errors",
    "QuotaLedger": "quota",
    "QuotaStatus": "quota",
    "TokenBucket": "bucket",
}
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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'harvester.guard' has no attribute {name!r}")
    return getattr(importlib.import_module(f"harvester.guard.{module}"), name)
