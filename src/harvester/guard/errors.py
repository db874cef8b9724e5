"""Why the guard refused a TikTok call."""

from __future__ import annotations

from datetime import datetime

from harvester.clock import utcnow


class GuardError(Exception):
    retry_after: float = 60.0


class KillSwitchOn(GuardError):
    """Harvesting is paused by an operator."""


class CircuitOpen(GuardError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BudgetExhausted(GuardError):
    """No token within the wait allowed: retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DailyQuotaSpent(GuardError):
    """The day's request (or record) budget of an API is spent until ``reset_at``."""

    def __init__(self, message: str, reset_at: datetime, now: datetime | None = None) -> None:
        super().__init__(message)
        self.reset_at = reset_at
        self.retry_after = max(1.0, (reset_at - (now or utcnow())).total_seconds())
