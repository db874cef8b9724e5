from __future__ import annotations

from datetime import UTC, datetime

import inngest
import pytest
from pydantic import ValidationError

from harvester.jobs.events import (
    DISCOVERY_REQUESTED,
    DiscoveryRequested,
    ExtractRequested,
    HarvestRequested,
)
from harvester.jobs.functions.discovery import harvest_window, parse_request
from harvester.jobs.functions.health import classify
from harvester.jobs.functions.system import short_fn_id
from harvester.store.states import Severity


def test_window_is_stable_within_the_staleness_period() -> None:
    a = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)
    b = datetime(2026, 1, 1, 23, 59, tzinfo=UTC)
    c = datetime(2026, 1, 2, 0, 1, tzinfo=UTC)
    assert harvest_window(a, 24) == harvest_window(b, 24) != harvest_window(c, 24)


def test_cron_discovery_uses_defaults_and_manual_data_is_validated() -> None:
    cron = inngest.Event(name="inngest/scheduled.timer", data={"cron": "*/10 * * * *"})
    assert parse_request(cron) == DiscoveryRequested()
    manual = inngest.Event(name=DISCOVERY_REQUESTED, data={"regions": ["fr"], "limit": 3})
    assert parse_request(manual).regions == ["FR"]
    bad = inngest.Event(name=DISCOVERY_REQUESTED, data={"limit": -1})
    with pytest.raises(inngest.NonRetriableError, match="limit"):
        parse_request(bad)
    unknown = inngest.Event(name=DISCOVERY_REQUESTED, data={"regoins": ["FR"]})
    with pytest.raises(inngest.NonRetriableError, match="regoins"):
        parse_request(unknown)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"video_id": "", "window": "1"},
        {"video_id": "a b", "window": "1"},
        {"video_id": "1", "window": "1", "max_pages": 99},
    ],
)
def test_harvest_payload_rejects_bad_input(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        HarvestRequested.model_validate(data)


def test_extract_payload_caps_comment_ids() -> None:
    with pytest.raises(ValidationError):
        ExtractRequested(video_id="1", comment_ids=[str(i) for i in range(1001)])


def test_health_classification() -> None:
    ok = {
        "database": {"ok": True, "queue_lag_seconds": 0},
        "runs": {"ok": True, "failure_rate": 0.0},
        "source": {"ok": True},
        "guard": {"ok": True},
    }
    assert classify(ok) == (Severity.INFO, [])
    # No run ended in the hour (or the runs live in an Inngest server): no rate, no alarm.
    assert classify({**ok, "runs": {"ok": True, "failure_rate": None}}) == (Severity.INFO, [])
    sev, why = classify({**ok, "source": {"ok": False, "error": "timeout"}})
    assert sev is Severity.WARNING and "source" in why[0]
    sev, why = classify({**ok, "runs": {"ok": True, "failure_rate": 0.8}})
    assert sev is Severity.CRITICAL and "80%" in why[0]
    sev, why = classify({**ok, "runs": {"ok": False, "error": "no engine database"}})
    assert sev is Severity.WARNING and "runs check failed" in why[0]
    sev, _ = classify({**ok, "database": {"ok": False, "error": "locked"}})
    assert sev is Severity.CRITICAL


def test_short_fn_id() -> None:
    assert short_fn_id("tiktok-harvester-harvest-comments") == "harvest-comments"
