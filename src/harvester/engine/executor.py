"""Calling an SDK app: the request body Inngest sends, and what comes back."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import httpx
import orjson

from harvester.engine import safejson, signing
from harvester.engine.records import LiveRun


@dataclass
class CallOutcome:
    """What one call produced: a final output, an error, or step ops (206)."""

    status: int
    ops: list[dict[str, Any]] = field(default_factory=list)
    output: Any = None
    error: dict[str, Any] | None = None
    no_retry: bool = False
    retry_at: float | None = None


@functools.lru_cache(maxsize=4096)
def call_url(fn_url: str, step_id: str | None) -> str:
    parts = urlsplit(fn_url)
    query = dict(parse_qsl(parts.query))
    query["stepId"] = step_id or "step"
    return urlunsplit(parts._replace(query=urlencode(query)))


def state_bytes(run: LiveRun) -> int:
    """How big a run's state is inline: its events and every memoized step, as
    ``encode_body`` writes them."""
    return len(encode_body(run.events)) + len(encode_body(run.steps))


def request_body(
    run: LiveRun, attempt: int, max_attempts: int, inline_limit: int | None = None
) -> dict[str, Any]:
    """The body of a call. A state over ``inline_limit`` bytes is left out with
    ``use_api: true``: the SDK then fetches the steps and the batch from the engine
    (``GET /v0/runs/{id}/actions`` and ``/batch``), as it does from Inngest."""
    events = run.events
    use_api = inline_limit is not None and state_bytes(run) > inline_limit
    return {
        "event": events[0],
        "events": None if use_api else events,
        "steps": {} if use_api else run.steps,
        "use_api": use_api,
        "ctx": {
            "run_id": run.run_id,
            "attempt": attempt,
            "disable_immediate_execution": bool(run.parallel),
            "max_attempts": max_attempts,
            "stack": {"stack": list(run.stack)},
        },
    }


def _error_of(body: Any, status: int) -> dict[str, Any]:
    if isinstance(body, dict) and ("message" in body or "name" in body):
        error = {"name": str(body.get("name", "Error")), "message": str(body.get("message", ""))}
        if isinstance(body.get("stack"), str):  # no "stack": null when there is none
            error["stack"] = body["stack"]
        if isinstance(body.get("code"), str):  # the SDK's own code, e.g. step_errored
            error["code"] = body["code"]
        return error
    return {"name": "Error", "message": f"HTTP {status}: {str(body)[:500]}"}


def _retry_at(value: str | None, now: float) -> float | None:
    """When Retry-After says to retry, read as the Inngest server reads it: up to seven
    digits are seconds from now; else a time (the SDK's ISO form, a Unix time, or an
    HTTP date)."""
    if not value:
        return None
    if len(value) <= 7 and value.isdigit() and int(value) > 0:
        return now + int(value)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


AsgiApp = Callable[[Any, Any, Any], Awaitable[None]]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    content: bytes


@functools.lru_cache(maxsize=4096)
def _scope_of(url: str) -> tuple[dict[str, Any], bytes]:
    """The ASGI scope of a POST to ``url`` without its headers, and its Host."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": parts.scheme or "http",
        "path": unquote(parts.path),
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "client": ("127.0.0.1", 0),
        "server": (host, port),
    }
    return scope, parts.netloc.encode()


def encode_body(body: Any) -> bytes:
    """A call's JSON body: orjson (several times faster than json on a run's memo),
    or json where orjson refuses a value (an integer beyond 64 bits)."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body).encode()


async def post_asgi(app: AsgiApp, url: str, raw: bytes, headers: dict[str, str]) -> Reply:
    """POST straight into an in-process ASGI app: the same request the app would get
    over HTTP, without building HTTP client objects (a third of a call's cost)."""
    wire = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    base, netloc = _scope_of(url)
    wire += [(b"host", netloc), (b"content-length", str(len(raw)).encode())]
    scope = {**base, "asgi": {"version": "3.0"}, "headers": wire}  # fresh where apps write
    done = asyncio.Event()
    body_sent = False
    status, out_headers, chunks = 0, {}, []

    async def receive() -> dict[str, Any]:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        await done.wait()  # only a finished exchange "disconnects"
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, out_headers
        if message["type"] == "http.response.start":
            status = int(message["status"])
            out_headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    except Exception:
        if not status:  # the app raised before answering: as an HTTP server would, 500
            return Reply(500, {}, b"Internal Server Error")
    finally:
        done.set()
    return Reply(status, out_headers, b"".join(chunks))


async def call(
    target: httpx.AsyncClient | AsgiApp,
    url: str,
    body: dict[str, Any],
    *,
    signing_key: str | None,
    dev: bool,
    now: float,
    timeout: float | None = None,
) -> CallOutcome:
    """POST the call (over HTTP, or into the in-process app); map the response to an
    outcome (never raises for HTTP errors). ``timeout`` bounds the whole exchange: a
    streamed reply's keep-alive bytes reset the client's read timeout, so without it
    a call that streams keep-alives forever would never end."""
    raw = encode_body(body)
    headers = {
        "content-type": "application/json",
        "x-inngest-server-kind": "dev" if dev else "cloud",
        "x-inngest-req-version": "1",
    }
    if signing_key:
        headers["x-inngest-signature"] = signing.sign(signing.canonical(raw), signing_key, int(now))
    try:
        async with asyncio.timeout(timeout):
            if isinstance(target, httpx.AsyncClient):
                res = await target.post(url, content=raw, headers=headers)
                reply = Reply(res.status_code, dict(res.headers), res.content)
            else:
                reply = await post_asgi(target, url, raw, headers)
    except httpx.HTTPError as exc:
        return CallOutcome(
            status=0,
            error={"name": "RequestError", "message": f"app unreachable at {url}: {exc!r}"},
        )
    except TimeoutError:  # a failed attempt, retried like any other
        message = f"no complete reply from {url} within {timeout:g} s"
        return CallOutcome(status=0, error={"name": "RequestTimeout", "message": message})
    return outcome(reply, signing_key=signing_key, dev=dev, now=now)


def unstream(reply: Reply) -> Reply:
    """The SDK's streaming reply (201, keep-alive spaces, then ``{"status", "headers",
    "body"}``) as the reply it wraps; any other reply as it is."""
    if reply.status != 201:
        return reply
    try:
        wrapped = safejson.loads(reply.content.lstrip())
    except safejson.JSONRejected:
        wrapped = None
    if not (
        isinstance(wrapped, dict)
        and isinstance(wrapped.get("status"), int)
        and isinstance(wrapped.get("body"), str)
    ):
        return Reply(502, {}, b"streamed reply without a final {status, headers, body}")
    headers = wrapped.get("headers") if isinstance(wrapped.get("headers"), dict) else {}
    inner = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    return Reply(wrapped["status"], {**reply.headers, **inner}, wrapped["body"].encode())


def outcome(reply: Reply, *, signing_key: str | None, dev: bool, now: float) -> CallOutcome:
    reply = unstream(reply)
    if signing_key and not dev:
        sig = reply.headers.get("x-inngest-signature", "")
        if not signing.verify(reply.content, sig, signing_key, now):
            return CallOutcome(
                status=401,
                error={"name": "SignatureError", "message": "app response is not signed"},
            )
    try:
        parsed = safejson.loads(reply.content) if reply.content else None
    except safejson.JSONRejected as exc:
        if reply.status in (200, 206):  # a garbled answer is a failed attempt, retried
            return CallOutcome(
                status=502, error={"name": "ResponseError", "message": f"app response: {exc}"}
            )
        parsed = reply.content.decode(errors="replace")
    no_retry = reply.headers.get("x-inngest-no-retry") == "true"
    retry_at = _retry_at(reply.headers.get("retry-after"), now)
    if reply.status == 206 and isinstance(parsed, list):  # Retry-After: for a step error
        return CallOutcome(status=206, ops=parsed, no_retry=no_retry, retry_at=retry_at)
    if reply.status == 200:
        return CallOutcome(status=200, output=parsed)
    return CallOutcome(
        status=reply.status,
        error=_error_of(parsed, reply.status),
        no_retry=no_retry,
        retry_at=retry_at,
    )
