"""Why the guard refused a TikTok call."""

from __future__ import annotations


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
