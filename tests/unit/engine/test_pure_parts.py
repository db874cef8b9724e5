"""The engine's pure parts, without a database: function config validation, and how
an SDK reply maps to a call outcome."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from harvester.engine import QueueKind
from harvester.engine.executor import Reply, outcome
from harvester.engine.signing import sign
from harvester.engine.triggers import ConfigError, validate


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
