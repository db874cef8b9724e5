"""uvicorn's HTTP protocol with a header deadline (slowloris).

uvicorn times out idle keep-alive connections but not a request whose line and headers
arrive slowly: such a connection is held forever. This protocol closes a connection
whose request headers are not complete ``HEADER_TIMEOUT_S`` after it opened or after
its previous response. Bodies have their own bound (``body_guard``)."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0


class HeaderDeadlineProtocol(H11Protocol):
    """``uvicorn.Config(http=HeaderDeadlineProtocol)``: h11 plus a header deadline."""

    header_timeout: float = HEADER_TIMEOUT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_after: object = None  # the cycle whose successor we wait for

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not self._waiting_after:  # a new request's headers are complete
            self._disarm()

    def on_response_complete(self) -> None:
        before = self.cycle
        super().on_response_complete()  # may already start a pipelined request
        if self.cycle is before and not self.transport.is_closing():
            self._arm()  # the next request on this connection gets the same deadline

    def _arm(self) -> None:
        self._disarm()
        self._waiting_after = self.cycle
        self._deadline = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()
