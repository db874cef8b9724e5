"""Retry-After as the SDK sends it (an ISO time) and as HTTP allows (seconds, a date),
on a function's error and on a step's (206)."""

from __future__ import annotations

import pytest

from harvester.engine.executor import Reply, outcome

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z


@pytest.mark.parametrize("status", [500, 206])
@pytest.mark.parametrize(
    ("value", "due"),
    [
        ("2027-01-15T08:00:30Z", NOW + 30),
        ("2027-01-15T08:00:30.500000+00:00", NOW + 30.5),
        ("120", NOW + 120),
        ("Fri, 15 Jan 2027 08:01:00 GMT", NOW + 60),
        ("soon", None),
    ],
)
def test_retry_after_forms(status: int, value: str, due: float | None) -> None:
    body = b'[{"op": "StepError", "id": "s"}]' if status == 206 else b'{"message": "x"}'
    reply = Reply(status, {"retry-after": value}, body)
    assert outcome(reply, signing_key=None, dev=True, now=NOW).retry_at == due
