"""A spent daily quota makes the step wait for the reset, never hammer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import inngest
import pytest

from harvester.guard import DailyQuotaSpent
from harvester.jobs.calls import call_tiktok


async def test_spent_quota_retries_after_the_reset() -> None:
    reset = datetime.now(UTC) + timedelta(hours=3)
    calls = 0

    async def spent() -> None:
        nonlocal calls
        calls += 1
        raise DailyQuotaSpent("research API: today's quota is spent", reset)

    with pytest.raises(inngest.RetryAfterError) as err:
        await call_tiktok("comment/list", spent)
    assert calls == 1
    assert "daily quota" in str(err.value)
    retry_at = err.value.retry_after
    assert isinstance(retry_at, datetime)
    assert abs((retry_at - reset).total_seconds()) < 5


def test_worker_waits_start_short_and_add_up_to_the_timeout() -> None:
    from harvester.jobs.worker_wait import wait_slices

    waits = [w.total_seconds() for w in wait_slices(600)]
    assert waits == [1, 2, 4, 8, 16, 569]
    assert [w.total_seconds() for w in wait_slices(4)] == [1, 2, 1]
    assert [w.total_seconds() for w in wait_slices(0.2)] == [1]
