"""One way to send events: the engine-backed and the HTTP-backed sender return the ids
of what they sent, and ``sender_for`` picks the embedded engine when there is one."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import inngest

from harvester.engine import Engine, EngineConfig
from harvester.jobs.sdk_transport import route_sdk_through
from harvester.jobs.senders import EngineSender, HttpSender, sender_for

EVENTS = [{"name": "sent/one", "data": {"n": 1}}, {"name": "sent/two", "data": {}}]


def _client(handle: httpx.MockTransport) -> inngest.Inngest:
    client = inngest.Inngest(
        app_id="senders-test",
        is_production=False,
        api_base_url="http://server.invalid",
        event_api_base_url="http://server.invalid",
    )
    route_sdk_through(client, handle)
    return client


async def test_the_http_sender_posts_the_events_and_returns_the_servers_ids() -> None:
    names: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        names.extend(e["name"] for e in json.loads(request.content))
        return httpx.Response(200, json={"ids": ["a", "b"], "status": 200})

    sender = HttpSender(_client(httpx.MockTransport(handle)))
    assert await sender.send(EVENTS) == ["a", "b"]
    assert names == ["sent/one", "sent/two"]


async def test_the_engine_sender_queues_the_events_in_the_engine(tmp_path: Path) -> None:
    engine = Engine(EngineConfig(database_url=f"sqlite:///{tmp_path / 'engine.db'}"))
    try:
        unused = _client(httpx.MockTransport(lambda r: httpx.Response(500)))
        sender = sender_for(engine, unused)
        assert isinstance(sender, EngineSender)
        ids = await sender.send(EVENTS)
        assert len(ids) == 2
        assert [engine.get_event(i).name for i in ids] == ["sent/one", "sent/two"]
    finally:
        await engine.stop()
        engine.close()


def test_without_an_engine_events_go_to_the_configured_server() -> None:
    client = _client(httpx.MockTransport(lambda r: httpx.Response(500)))
    assert sender_for(None, client) == HttpSender(client)
