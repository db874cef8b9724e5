"""``step.ai.infer``: the SDK asks the server to make the model request (op
``AIGateway``) so the function holds no compute while it waits. The engine makes the
request the op's options describe and hands the response back as the step's result,
as the Inngest server does: a 2xx JSON body is the step's data; anything else is a
step error (``AIGatewayError``), retried like one."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from harvester.engine.executor import CallOutcome

OP = "AIGateway"


def _request(opts: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    """URL, headers and body for the op's options; auth as each format expects."""
    url, key, fmt = str(opts.get("url") or ""), str(opts.get("auth_key") or ""), opts.get("format")
    headers = {"content-type": "application/json"}
    if fmt == "gemini":
        parts = urlsplit(url)
        query = urlencode([*parse_qsl(parts.query), ("key", key)])
        url = urlunsplit(parts._replace(query=query))
    elif fmt == "bedrock":
        headers["authorization"] = key
    elif fmt == "anthropic":
        headers["x-api-key"] = key
    else:  # openai-chat and the formats that speak it
        headers["authorization"] = f"Bearer {key}"
    headers |= {str(k): str(v) for k, v in (opts.get("headers") or {}).items()}
    return url, headers, json.dumps(opts.get("body") or {}).encode()


def _failed(op: dict[str, Any], message: str, body: str | None = None) -> dict[str, Any]:
    error = {"name": "AIGatewayError", "message": f"Error making AI request: {message}"}
    if body is not None:
        error["stack"] = body
    return {**op, "op": "StepError", "error": error}


async def _infer(op: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The op, answered: a ``StepRun`` with the response, or a ``StepError``."""
    opts = op.get("opts") or {}
    url, headers, body = _request(opts)
    if urlsplit(url).scheme not in ("http", "https"):
        return _failed(op, f"no http(s) url in the step's options ({url!r})")
    try:
        async with httpx.AsyncClient(timeout=timeout) as http:
            res = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return _failed(op, f"{url} unreachable: {exc!r}")
    if res.status_code > 299:
        return _failed(op, f"unsuccessful status code: {res.status_code}", res.text[:4000])
    try:
        data = res.json()
    except ValueError:
        return _failed(op, "the response is not JSON", res.text[:4000])
    return {**op, "op": "StepRun", "data": data}


async def perform(out: CallOutcome, timeout: float) -> CallOutcome:
    """Make the model requests a 206 reply asks for; the reply with them answered."""
    if out.status != 206 or not any(op.get("op") == OP for op in out.ops):
        return out
    ops = [await _infer(op, timeout) if op.get("op") == OP else op for op in out.ops]
    return CallOutcome(status=206, ops=ops, no_retry=out.no_retry, retry_at=out.retry_at)
