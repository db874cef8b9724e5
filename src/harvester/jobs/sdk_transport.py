"""The one adapter onto the official SDK's private HTTP client.

The SDK has no public way to choose the transport of its own requests (sync, events
sent by ``client.send``). With the embedded engine in the same process those requests
go to the engine's ASGI app instead of the network, so this module is the only place
that reaches into ``Inngest._http_client._http_client``; a test fails when the SDK
changes it (tests/unit/jobs/test_sdk_transport.py).
"""

from __future__ import annotations

from typing import Any

import httpx
import inngest
from inngest._internal import net


class SdkChanged(RuntimeError):
    """The SDK no longer has the private attribute this adapter replaces."""


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


def _version() -> str:
    from importlib.metadata import version

    return version("inngest")
