"""The one adapter onto the official SDK's private parts.

1. The SDK has no public way to choose the transport of its own requests (sync, events
   sent by ``client.send``). With the embedded engine in the same process those requests
   go to the engine's ASGI app instead of the network, so this module is the only place
   that reaches into ``Inngest._http_client._http_client``.
2. ``sdk_app``: the embedded engine's lean in-process call. It is the SDK's own request
   handler (``comm_lib.CommHandler``, what ``inngest.fast_api.serve`` wraps) as a bare
   ASGI app: the same body, headers, query and signature checks, and the same reply,
   without FastAPI's routing, request and response objects and our web app's middleware.
   Remote apps and remote engines keep the FastAPI endpoint. One cost is left out: the
   SDK's probe of how long the event loop was blocked (a task started and cancelled per
   request, reported only in the Server-Timing header, which the engine never reads).

A test fails when the SDK changes either (tests/unit/jobs/test_sdk_transport.py).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import httpx
import inngest
from inngest._internal import comm_lib, net, server_lib, transforms

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Asgi = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


class SdkChanged(RuntimeError):
    """The SDK no longer has the private attribute this adapter replaces."""


class _NoLoopProbe(net._AsyncBlockServerTiming):
    """The SDK's ``async_block`` timing without its probe task: never started, so the
    Server-Timing header leaves that entry out (the SDK's own rule)."""

    def __enter__(self) -> _NoLoopProbe:
        return self


def _timings() -> net.ServerTimings:
    timings = net.ServerTimings()
    timings.async_block = _NoLoopProbe("async_block")
    return timings


def route_sdk_through(
    client: inngest.Inngest, transport: httpx.AsyncBaseTransport, **http: Any
) -> None:
    """Send ``client``'s own requests through ``transport`` (``http``: more httpx
    client options, e.g. ``timeout``)."""
    holder = getattr(client, "_http_client", None)
    if holder is None or not hasattr(holder, "_http_client"):
        raise SdkChanged(
            f"inngest {_version()} has no Inngest._http_client._http_client: update "
            "harvester.jobs.sdk_transport to the SDK's way of choosing its HTTP transport"
        )
    holder._http_client = net.ThreadAwareAsyncHTTPClient(transport=transport, **http).initialize()


def sdk_app(
    client: inngest.Inngest, functions: list[inngest.Function[Any]], serve_path: str
) -> Asgi:
    """The SDK's handler for ``functions`` as an ASGI app answering at ``serve_path``
    (GET, POST, PUT as ``inngest.fast_api.serve`` does; anything else 404/405)."""
    try:
        handler = comm_lib.CommHandler(
            client=client,
            enable_unauthed_sync=None,
            framework=server_lib.Framework.FAST_API,
            functions=functions,
            streaming=None,
        )
    except (AttributeError, TypeError) as exc:
        raise SdkChanged(
            f"inngest {_version()} changed comm_lib.CommHandler ({exc}): update "
            "harvester.jobs.sdk_transport.sdk_app to the SDK's request handler, or call "
            "the FastAPI endpoint instead"
        ) from exc

    async def app(
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":  # lifespan: nothing to start
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
        if scope["path"] != serve_path:
            await _answer(
                send, 404, {"content-type": "application/json"}, b'{"detail":"Not Found"}'
            )
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        request = comm_lib.CommRequest(
            body=body,
            headers=headers,
            public_path=None,
            query_params=dict(parse_qsl(query, keep_blank_values=True)),
            raw_request=scope,
            request_url=_url(scope, headers, query),
            serve_origin=None,
            serve_path=serve_path,
            timings=_timings(),
        )
        method = scope["method"]
        if method == "POST":
            res = await handler.post(request)
        elif method == "PUT":
            res = await handler.put(request)
        elif method == "GET":
            res = handler.get_sync(request)
        else:
            await _answer(send, 405, {}, b'{"detail":"Method Not Allowed"}')
            return
        await _reply(client, res, send)

    return app


async def _reply(client: inngest.Inngest, res: Any, send: Any) -> None:
    """``inngest.fast_api._to_response``, written onto ASGI."""
    if res.stream is not None:
        out = [
            (k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in res.headers.items()
        ]
        await send({"type": "http.response.start", "status": res.status_code, "headers": out})
        async for chunk in res.stream():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    body = transforms.dump_json(res.body)
    if isinstance(body, Exception):
        res = comm_lib.CommResponse.from_error(client.logger, body)
        body = json.dumps(res.body)
    await _answer(send, res.status_code, res.headers, body.encode("utf-8"))


async def _answer(send: Any, status: int, headers: dict[str, str], content: bytes) -> None:
    wire = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items()]
    wire.append((b"content-length", str(len(content)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": wire})
    await send({"type": "http.response.body", "body": content, "more_body": False})


def _url(scope: Scope, headers: dict[str, str], query: str) -> str:
    host = headers.get("host") or "{}:{}".format(*scope.get("server") or ("localhost", 80))
    url = f"{scope.get('scheme', 'http')}://{host}{scope['path']}"
    return f"{url}?{query}" if query else url


def _version() -> str:
    from importlib.metadata import version

    return version("inngest")
