"""A synced function's flow-control options in words, for the function page:
``throttle {"limit": 1, "period": "1m", "key": "event.data.region"}`` reads
"1 run per 1m, per event.data.region". Unknown shapes fall back to compact JSON, so
nothing the config says is ever hidden."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Describe = Callable[[Any], str]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))


def _per(d: dict[str, Any]) -> str:
    return f", per {d['key']}" if d.get("key") else ""


def _concurrency(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    parts = []
    for c in items:
        if isinstance(c, int):
            parts.append(f"at most {c} at a time")
            continue
        scope = c.get("scope")
        where = f" ({scope} scope)" if scope and scope != "fn" else ""
        parts.append(f"at most {c.get('limit')} at a time{where}{_per(c)}")
    return "; ".join(parts)


def _throttle(d: dict[str, Any]) -> str:
    burst = f", bursts of {d['burst']}" if (d.get("burst") or 0) > 1 else ""
    return f"{d.get('limit')} run(s) started per {d.get('period')}{burst}{_per(d)} (queued)"


def _rate_limit(d: dict[str, Any]) -> str:
    return f"{d.get('limit')} run(s) per {d.get('period')}{_per(d)} (extra events skipped)"


def _debounce(d: dict[str, Any]) -> str:
    cap = f", at most {d['timeout']} late" if d.get("timeout") else ""
    return f"runs after {d.get('period')} without a new event{cap}{_per(d)}"


def _batch(d: dict[str, Any]) -> str:
    return f"up to {d.get('maxSize')} events per run, or after {d.get('timeout')}{_per(d)}"


def _priority(d: dict[str, Any]) -> str:
    return f"run = {d.get('run')}"


def _idempotency(value: Any) -> str:
    return f"one run per {value} (24 h)"


def _singleton(d: dict[str, Any]) -> str:
    mode = {"skip": "new runs skipped", "cancel": "the running one cancelled"}
    return f"one run at a time{_per(d)}, else {mode.get(d.get('mode', ''), d.get('mode'))}"


def _timeouts(d: dict[str, Any]) -> str:
    parts = []
    if d.get("start"):
        parts.append(f"must start within {d['start']}")
    if d.get("finish"):
        parts.append(f"must finish within {d['finish']}")
    return ", ".join(parts) + " (else cancelled)"


def _cancel(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    parts = []
    for c in items:
        cond = f" if {c['if']}" if c.get("if") else ""
        within = f" within {c['timeout']}" if c.get("timeout") else ""
        parts.append(f"on event {c.get('event')}{cond}{within}")
    return "; ".join(parts)


# Options worth showing, in display order: (config key, label, how to say it).
OPTIONS: tuple[tuple[str, str, Describe], ...] = (
    ("concurrency", "concurrency", _concurrency),
    ("throttle", "throttle", _throttle),
    ("rateLimit", "rate limit", _rate_limit),
    ("debounce", "debounce", _debounce),
    ("batchEvents", "batch", _batch),
    ("priority", "priority", _priority),
    ("idempotency", "idempotency", _idempotency),
    ("singleton", "singleton", _singleton),
    ("timeouts", "timeouts", _timeouts),
    ("cancel", "cancel", _cancel),
)


def describe(config: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, words, raw JSON) of each option the config sets, retries first."""
    retries = ((config.get("steps") or {}).get("step") or {}).get("retries") or {}
    attempts = retries.get("attempts")
    said = f"{attempts} retries after the first attempt" if attempts is not None else "default (4)"
    out = [("retries", said, _json(attempts) if attempts is not None else "default (4)")]
    for key, label, say in OPTIONS:
        value = config.get(key)
        if value is None:
            continue
        try:
            words = say(value)
        except (AttributeError, KeyError, TypeError):
            words = _json(value)
        out.append((label, words, _json(value)))
    return out
