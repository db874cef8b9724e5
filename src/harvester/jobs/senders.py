"""One way to send events: an ``EventSender``, backed by the embedded engine or by an
Inngest server over HTTP (the official SDK's ``client.send``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import inngest

from harvester.engine import Engine


class EventSender(Protocol):
    async def send(self, events: list[dict[str, Any]]) -> list[str]:
        """Send ``events`` (``{"name", "data", ...}``); their ids, in order."""
        ...


@dataclass(frozen=True)
class EngineSender:
    """Into the embedded engine's queue, in this process."""

    engine: Engine

    async def send(self, events: list[dict[str, Any]]) -> list[str]:
        return list(await self.engine.send(events))


@dataclass(frozen=True)
class HttpSender:
    """To the Inngest server the SDK client is configured for."""

    client: inngest.Inngest

    async def send(self, events: list[dict[str, Any]]) -> list[str]:
        return list(await self.client.send([inngest.Event(**e) for e in events]))


def sender_for(engine: Engine | None, client: inngest.Inngest) -> EventSender:
    """The embedded engine when there is one, else the configured server."""
    return EngineSender(engine) if engine is not None else HttpSender(client)
