"""The overview's numbers are the facts: runs counted by the engine (not stale job
rows), and day one's "new today" explained."""

from __future__ import annotations

from typing import Any

import pytest

from harvester.store.job_runs import set_job_status
from harvester.store.states import JobState

from .conftest import Served, shot

pytestmark = pytest.mark.browser


def test_overview_counts_runs_by_the_engine_and_explains_day_one(page: Any, served: Served) -> None:
    with served.runtime.db.session() as s:  # a health check that never wrote its end
        set_job_status(s, "stale-health-run", "health-check", JobState.RUNNING, "check", None)
    page.goto(served.url + "/")
    runs = page.locator("#runs-24h").inner_text()
    assert "COMPLETED" in runs and "RUNNING" not in runs, runs
    assert page.locator("#new-today").inner_text() == page.locator(".card .v").nth(1).inner_text()
    assert "first harvest was today" in page.locator("#new-today-note").inner_text()
    shot(page, "overview-facts")
