"""The engine's pure parts, without a database: GCRA maths, function config
validation, and how an SDK reply maps to a call outcome."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harvester.engine import QueueKind
from harvester.engine.executor import Reply, outcome
from harvester.engine.flow import gcra
from harvester.engine.signing import sign
from harvester.engine.triggers import ConfigError, validate

# -- GCRA ----------------------------------------------------------------------------------
NOW = 1_800_000_000.0  # an epoch time of today's magnitude: floats are coarse up here


def _starts(n: int, period: float, limit: int, burst: int = 1, at: float = NOW) -> list[float]:
    """Offsets (in seconds, to the microsecond) from ``at`` of the starts of ``n``
    requests that all arrive at ``at``."""
    return [us / 1e6 for us in _starts_us(n, period, limit, burst, at)]


def _starts_us(n: int, period: float, limit: int, burst: int = 1, at: float = NOW) -> list[int]:
    tat, out = at, []
    for _ in range(n):
        start, tat = gcra(tat, at, period, limit, burst)
        out.append(round((start - at) * 1e6))
    return out


def test_gcra_spaces_requests_one_interval_apart() -> None:
    assert _starts(4, period=2.0, limit=4) == [0.0, 0.5, 1.0, 1.5]


def test_gcra_lets_a_burst_through_at_once_then_spaces_the_rest() -> None:
    assert _starts(5, period=3.0, limit=3, burst=3) == [0.0, 0.0, 0.0, 1.0, 2.0]


def test_gcra_forgets_a_quiet_spell_but_never_banks_more_than_the_burst() -> None:
    start, tat = gcra(NOW, NOW, 2.0, 2, 2)
    assert start == NOW and tat == NOW + 1
    later = NOW + 100
    start, tat = gcra(tat, later, 2.0, 2, 2)  # long after: free again, counted from now
    assert start == later and tat == later + 1
    assert gcra(tat, later, 2.0, 2, 2)[0] == later  # the second of the burst
    assert gcra(later + 2, later, 2.0, 2, 2)[0] == later + 1  # the third waits


def test_gcra_fits_no_extra_start_into_a_period_that_does_not_divide_evenly() -> None:
    """Three per second used to start a fourth at 0.999999 s: rounding to the nearest
    microsecond had drifted down."""
    assert _starts(4, period=1.0, limit=3) == [0.0, 0.333334, 0.666668, 1.000002]


@given(
    limit=st.integers(min_value=1, max_value=200),
    period=st.sampled_from([1.0, 7.0, 60.0, 3600.0]),
    n=st.integers(min_value=1, max_value=400),
)
def test_gcra_never_fits_more_than_limit_starts_in_any_period(
    limit: int, period: float, n: int
) -> None:
    starts, window = _starts_us(n, period, limit), round(period * 1e6)
    assert starts == sorted(starts)
    for i, s in enumerate(starts):
        assert sum(1 for t in starts[i:] if t < s + window) <= limit


# -- function config validation ------------------------------------------------------------
def _cfg(**extra: Any) -> dict[str, Any]:
    return {
        "id": "app-f",
        "triggers": [{"event": "a/b"}],
        "steps": {"step": {"runtime": {"url": "http://a/api?fnId=app-f"}}},
        **extra,
    }


def test_a_good_config_becomes_a_spec_with_inngest_retry_defaults() -> None:
    spec = validate(_cfg(name="F"))
    assert (spec.id, spec.name, spec.url) == ("app-f", "F", "http://a/api?fnId=app-f")
    assert spec.max_attempts == 5  # Inngest's default: 4 retries
    retries = {"step": {"runtime": {"url": "u"}, "retries": {"attempts": 0}}}
    assert validate(_cfg(steps=retries)).max_attempts == 1
    assert validate(_cfg(triggers=[{"cron": "*/5 * * * *"}])).crons == ["*/5 * * * *"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"id": ""}, "id"),
        ({"steps": {}}, "steps.step.runtime.url"),
        ({"triggers": []}, "triggers"),
        ({"triggers": [{"cron": "every day"}]}, "triggers[0].cron"),
        ({"triggers": [{"event": "a/b", "expression": "event.data.x =="}]}, "expression"),
        ({"concurrency": [{"limit": 0}]}, "concurrency[0].limit"),
        ({"throttle": {"limit": 1, "period": "soon"}}, "throttle.period"),
        ({"batchEvents": {"maxSize": 0}}, "batchEvents.maxSize"),
        ({"rateLimit": {"limit": 2, "period": "1m", "key": "event.("}}, "rateLimit.key"),
        ({"singleton": {"mode": "queue"}}, "singleton.mode"),
        ({"timeouts": {"finish": "forever"}}, "timeouts.finish"),
    ],
)
def test_a_bad_config_is_refused_naming_the_field(extra: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        validate(_cfg(**extra))
    assert field in str(err.value)


# -- SDK reply -> call outcome -------------------------------------------------------------
def _reply(status: int, body: Any, **headers: str) -> Reply:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Reply(status, {k.replace("_", "-"): v for k, v in headers.items()}, raw)


def _map(reply: Reply, signing_key: str | None = None, dev: bool = True) -> Any:
    return outcome(reply, signing_key=signing_key, dev=dev, now=1_800_000_000.0)


def test_206_with_ops_is_a_step_outcome_and_200_is_the_output() -> None:
    ops = [{"op": "StepRun", "id": "s1", "data": 1}]
    assert _map(_reply(206, ops)).ops == ops
    done = _map(_reply(200, {"sum": 3}))
    assert (done.status, done.output, done.error) == (200, {"sum": 3}, None)


def test_an_error_reply_keeps_its_name_and_message_and_retry_hints() -> None:
    out = _map(
        _reply(
            500,
            {"name": "ValueError", "message": "boom", "stack": "..."},
            x_inngest_no_retry="true",
            retry_after="2027-01-15T08:00:00Z",
        )
    )
    assert out.error == {"name": "ValueError", "message": "boom", "stack": "..."}
    assert out.no_retry is True
    assert out.retry_at == datetime(2027, 1, 15, 8, tzinfo=UTC).timestamp()
    assert _map(_reply(429, {}, retry_after="1800000030")).retry_at == 1_800_000_030.0


def test_a_reply_that_is_not_json_fails_with_its_status_and_text() -> None:
    out = _map(_reply(502, b"<html>bad gateway</html>"))
    assert out.status == 502 and out.error is not None
    assert out.error["message"].startswith("HTTP 502: <html>bad gateway")
    assert out.no_retry is False and out.retry_at is None


def test_outside_dev_mode_an_unsigned_reply_is_refused() -> None:
    key = "signkey-prod-" + "ab" * 32
    assert _map(_reply(200, "ok"), signing_key=key, dev=False).status == 401
    body = json.dumps("ok").encode()
    signed = Reply(200, {"x-inngest-signature": sign(body, key, 1_800_000_000)}, body)
    assert _map(signed, signing_key=key, dev=False).output == "ok"


def test_there_are_eight_queue_item_kinds() -> None:
    assert len(QueueKind) == 8
