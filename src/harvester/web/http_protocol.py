"""uvicorn's HTTP protocol with a header deadline (slowloris) and one answer to
oversized headers.

uvicorn times out idle keep-alive connections but not a request whose line and headers
arrive slowly: such a connection is held forever. This protocol closes a connection
whose request headers are not complete ``HEADER_TIMEOUT_S`` after it opened or after
its previous response. Bodies have their own bound (``body_guard``).

Headers over 32 KiB get 431. Whole, they reach ``body_guard``, which answers it; but
when they arrive in pieces, h11 gives up at 16 KiB of incomplete headers and uvicorn
answered 400, so the same request got 400 or 431 by how TCP cut it. Here h11's refusal
is a 431 too, with the same JSON, and the connection is closed only after the rest of
what the client sends is read (or ``DRAIN_S`` passed): closing with unread data resets
the connection, and a reset can overtake the answer."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0
DRAIN_S = 5.0  # how long a refused client may go on sending before the connection closes
MAX_HEADER_BYTES = 32 * 1024  # the most request headers may take (body_guard checks it)
HEADERS_TOO_LARGE = f"request headers over {MAX_HEADER_BYTES // 1024} KiB"


def refusal(status: int, message: str, *, events: bool = False) -> bytes:
    """The JSON of a refused request, here and in ``body_guard``: "error" is the
    engine's event-API shape, "detail" FastAPI's; clients read either."""
    answer: dict[str, object] = {"detail": message, "error": message, "status": status}
    if events:
        answer["ids"] = []
    return json.dumps(answer).encode()


class HeaderDeadlineProtocol(H11Protocol):
    """``uvicorn.Config(http=HeaderDeadlineProtocol)``: h11 plus a header deadline."""

    header_timeout: float = HEADER_TIMEOUT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_after: object = None  # the cycle whose successor we wait for
        self._hint = 400  # h11's status for the request it refused last
        self._draining = False
        next_event = self.conn.next_event

        def next_event_noting_why() -> Any:
            try:
                return next_event()
            except h11.RemoteProtocolError as exc:
                self._hint = exc.error_status_hint
                raise

        self.conn.next_event = next_event_noting_why  # type: ignore[method-assign]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._draining:  # refused: read and drop the rest, then close
            return
        super().data_received(data)

    def eof_received(self) -> None:
        if self._draining:
            self.transport.close()
            return
        super().eof_received()

    def send_400_response(self, msg: str) -> None:
        if self._hint != 431:
            super().send_400_response(msg)
            return
        body = refusal(431, HEADERS_TOO_LARGE)
        head = (
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n"
        )
        self.transport.write(head + body)
        self._disarm()
        self._draining = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(DRAIN_S, self._close)

    def _close(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()

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
