"""Errors of the TikTok sources. The jobs map them to Inngest retry semantics; the guard
reads ``retry_after`` (back off the bucket) and ``counts_as_failure`` (breaker)."""

from __future__ import annotations

from datetime import datetime


class SourceError(Exception):
    """Base class; retryable unless stated otherwise."""

    counts_as_failure = True


class RateLimited(SourceError):
    """HTTP 429: the server says when to come back."""

    counts_as_failure = False

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SourceUnavailable(SourceError):
    """5xx, timeouts, refused connections: try again later."""


class SourceResponseError(SourceError):
    """A body that does not match the documented shape: nothing of it is stored."""


class SourceAuthError(SourceError):
    """Credentials refused: fix TIKTOK_CLIENT_KEY/SECRET (or the worker secret)."""


class QuotaExhausted(SourceError):
    """The daily request quota is used up until ``reset_at`` (00:00 UTC)."""

    counts_as_failure = False

    def __init__(self, message: str, reset_at: datetime) -> None:
        super().__init__(message)
        self.reset_at = reset_at
