"""Bounds on what a client sends: headers at most 32 KiB on every request (431), and on
every JSON route (our /api/v1, the engine's routes, the SDK's serve endpoint) a body
read with a size and time bound that must be strict JSON (``harvester.engine.safejson``)
before any route parses it. FastAPI's own parser recurses, so without this a deeply
nested body is a 500, not a 400."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pydantic
from inngest._internal.server_lib.execution_request import ServerRequest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harvester.engine import (
    MAX_BODY_BYTES,
    MAX_EVENT_REQUEST_BYTES,
    JSONRejected,
    check_content_type,
    read_limited,
    strict_json_loads,
)
from harvester.web.http_protocol import HEADERS_TOO_LARGE, MAX_HEADER_BYTES, refusal

JSON_PREFIXES = ("/api/", "/e/", "/fn/", "/v0/", "/v1/")
BODY_LIMIT = MAX_BODY_BYTES  # our JSON API's request limit
EVENT_API = "/e/"  # the event API takes batches of several MiB, as the dev server does
# App sync lists every function; the engine's calls to the SDK carry every memoized
# step of a run: those may be larger.
SDK_PATH = "/api/inngest"
LARGER_LIMITS = {"/fn/register": 4 * MAX_BODY_BYTES, SDK_PATH: 64 * 1024 * 1024}
# Routes under the JSON prefixes that take another format (an upload, say): they get
# the size and time bounds only. A route that takes a larger body belongs above.
NOT_JSON: frozenset[str] = frozenset()
# Routes that stream their body themselves, with their own size bound (uploads of
# collectors' files, which may be far larger than any JSON request): passed through.
STREAMED: frozenset[str] = frozenset({"/api/import-dataset/"})
BODY_TIMEOUT_S = 10.0


class JSONBodyGuardMiddleware:
    """Refuse (4xx, JSON ``{"detail", "error"}``) a body on a JSON route that is too big,
    too slow, of a non-JSON type, or not strict JSON; pass everything else through."""

    def __init__(
        self, app: ASGIApp, limit: int = BODY_LIMIT, timeout: float = BODY_TIMEOUT_S
    ) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size = sum(len(k) + len(v) for k, v in scope.get("headers") or [])
        if size > MAX_HEADER_BYTES:  # uvicorn's parser allows far more (about 1 MB)
            await _refuse(send, 431, HEADERS_TOO_LARGE, events=False)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        if not str(scope["path"]).startswith(JSON_PREFIXES) or scope["path"] in STREAMED:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        ctype = headers.get(b"content-type", b"").decode("latin-1")
        try:
            limit = _limit(str(scope["path"]), self.limit)
            body = await read_limited(_chunks(receive), limit, self.timeout)
            sdk_call = scope["path"] == SDK_PATH and scope["method"] == "POST"
            if (body or sdk_call) and scope["path"] not in NOT_JSON:
                check_content_type(ctype)
                value = strict_json_loads(body)
                if sdk_call:
                    _check_sdk_call(value)
        except JSONRejected as exc:
            await _refuse(send, exc.status, str(exc), events=str(scope["path"]).startswith("/e/"))
            return
        await self.app(scope, _replay(body, receive), send)


def _limit(path: str, default: int) -> int:
    if path.startswith(EVENT_API):
        return max(default, MAX_EVENT_REQUEST_BYTES)
    return LARGER_LIMITS.get(path, default)


def _check_sdk_call(value: object) -> None:
    # The SDK validates a call before its signature and answers 500 to a bad one, which
    # an executor reads as "retry": a body that is no call at all is a 400 here.
    try:
        ServerRequest.model_validate(value)
    except pydantic.ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or "body" for e in exc.errors()[:5])
        raise JSONRejected(f"not an Inngest call request (check: {fields})") from exc


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise JSONRejected("client went away before the body ended", status=400)
        yield bytes(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect, as Starlette does

    return replay


async def _refuse(send: Send, status: int, message: str, *, events: bool) -> None:
    payload = refusal(status, message, events=events)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
