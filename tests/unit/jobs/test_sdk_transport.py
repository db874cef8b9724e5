"""The one adapter onto the SDK's private HTTP client: it must really carry the SDK's
requests, and say what to do when the SDK no longer has the attribute."""

from __future__ import annotations

import json
from typing import Any

import httpx
import inngest
import pytest

from harvester.jobs.sdk_transport import SdkChanged, route_sdk_through


def _client() -> inngest.Inngest:
    return inngest.Inngest(
        app_id="adapter-test",
        is_production=False,
        api_base_url="http://engine.invalid",
        event_api_base_url="http://engine.invalid",
    )


async def test_the_sdks_own_event_sends_go_through_the_given_transport() -> None:
    seen: list[tuple[str, str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, json.loads(request.content)))
        return httpx.Response(200, json={"ids": ["evt-1"], "status": 200})

    client = _client()
    route_sdk_through(client, httpx.MockTransport(handle))
    ids = await client.send(inngest.Event(name="adapter/tested", data={"n": 1}))
    assert ids == ["evt-1"]
    assert len(seen) == 1
    method, path, body = seen[0]
    assert method == "POST" and path.startswith("/e/")
    assert [e["name"] for e in body] == ["adapter/tested"]


def test_a_changed_sdk_is_named_with_what_to_do() -> None:
    client = _client()
    object.__setattr__(client, "_http_client", object())  # the inner attribute is gone
    with pytest.raises(SdkChanged, match=r"update harvester\.jobs\.sdk_transport"):
        route_sdk_through(client, httpx.MockTransport(lambda r: httpx.Response(200)))
