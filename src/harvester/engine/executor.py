"""Calling an SDK app: the request body Inngest sends, and what comes back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from harvester.engine import signing


@dataclass
class CallOutcome:
    """What one call produced: a final output, an error, or step ops (206)."""

    status: int
    ops: list[dict[str, Any]] = field(default_factory=list)
    output: Any = None
    error: dict[str, Any] | None = None
    no_retry: bool = False
    retry_at: float | None = None


def call_url(fn_url: str, step_id: str | None) -> str:
    parts = urlsplit(fn_url)
    query = dict(parse_qsl(parts.query))
    query["stepId"] = step_id or "step"
    return urlunsplit(parts._replace(query=urlencode(query)))


def request_body(run: dict[str, Any], attempt: int, max_attempts: int) -> dict[str, Any]:
    events = run["events"]
    return {
        "event": events[0],
        "events": events,
        "steps": run["steps"],
        "use_api": False,
        "ctx": {
            "run_id": run["run_id"],
            "attempt": attempt,
            "disable_immediate_execution": bool(run["parallel"]),
            "max_attempts": max_attempts,
            "stack": {"stack": list(run["stack"])},
        },
    }


def _error_of(body: Any, status: int) -> dict[str, Any]:
    if isinstance(body, dict) and ("message" in body or "name" in body):
        return {
            "name": str(body.get("name", "Error")),
            "message": str(body.get("message", "")),
            "stack": body.get("stack"),
        }
    return {"name": "Error", "message": f"HTTP {status}: {str(body)[:500]}"}


def _retry_at(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return None


async def call(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    *,
    signing_key: str | None,
    dev: bool,
    now: float,
) -> CallOutcome:
    """POST the call; map the response to an outcome (never raises for HTTP errors)."""
    raw = json.dumps(body).encode()
    headers = {
        "content-type": "application/json",
        "x-inngest-server-kind": "dev" if dev else "cloud",
        "x-inngest-req-version": "1",
    }
    if signing_key:
        headers["x-inngest-signature"] = signing.sign(signing.canonical(raw), signing_key, int(now))
    try:
        res = await client.post(url, content=raw, headers=headers)
    except httpx.HTTPError as exc:
        return CallOutcome(
            status=0,
            error={"name": "RequestError", "message": f"app unreachable at {url}: {exc!r}"},
        )
    if signing_key and not dev:
        sig = res.headers.get("x-inngest-signature", "")
        if not signing.verify(res.content, sig, signing_key, now):
            return CallOutcome(
                status=401,
                error={"name": "SignatureError", "message": "app response is not signed"},
            )
    try:
        parsed = res.json() if res.content else None
    except ValueError:
        parsed = res.text
    no_retry = res.headers.get("x-inngest-no-retry") == "true"
    if res.status_code == 206 and isinstance(parsed, list):
        return CallOutcome(status=206, ops=parsed, no_retry=no_retry)
    if res.status_code == 200:
        return CallOutcome(status=200, output=parsed)
    return CallOutcome(
        status=res.status_code,
        error=_error_of(parsed, res.status_code),
        no_retry=no_retry,
        retry_at=_retry_at(res.headers.get("retry-after")),
    )
