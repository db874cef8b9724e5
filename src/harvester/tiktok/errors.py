"""Errors of the TikTok sources, as a taxonomy the jobs act on:

- ``SourceRejected`` (bad credentials, ``scope_not_authorized``, ``invalid_params``):
  never retried; the message names the scope or field and what to do.
- ``RateLimited`` / ``QuotaExhausted``: wait (``retry_after`` / ``reset_at``).
- ``SourceUnavailable`` (5xx, timeouts): back off and retry.
- ``SearchExpired``: the cached search is gone; restart it from the last good page.
- ``VideoUnavailable``: deleted, or comments not disclosable; mark the video, no retry.

The guard reads ``retry_after`` (back off the bucket) and ``counts_as_failure``
(breaker)."""

from __future__ import annotations

from datetime import datetime


class SourceError(Exception):
    """Base class; retryable unless stated otherwise."""

    counts_as_failure = True
    retriable = True


class RateLimited(SourceError):
    """HTTP 429: come back after ``retry_after`` seconds."""

    counts_as_failure = False

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SourceUnavailable(SourceError):
    """5xx, timeouts, refused connections: try again later."""


class SourceResponseError(SourceError):
    """A body that does not match the documented shape: nothing of it is stored."""


class SourceRejected(SourceError):
    """The API refused the request itself: repeating it can never succeed."""

    retriable = False

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class SourceAuthError(SourceRejected):
    """Credentials refused: fix TIKTOK_CLIENT_KEY/SECRET (or the worker secret)."""


class SearchExpired(SourceError):
    """``search_id`` is invalid or expired: start the search again without it."""

    counts_as_failure = False


class VideoUnavailable(SourceError):
    """The video is gone or its comments may not be disclosed; ``reason`` says which."""

    counts_as_failure = False
    retriable = False

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class QuotaExhausted(SourceError):
    """The daily request quota is used up until ``reset_at`` (00:00 UTC)."""

    counts_as_failure = False

    def __init__(self, message: str, reset_at: datetime) -> None:
        super().__init__(message)
        self.reset_at = reset_at
