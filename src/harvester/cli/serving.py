"""uvicorn servers that leave SIGTERM/SIGINT to the command running them.

uvicorn's own handlers stop one server and then re-raise the signal, which kills the
process before the command's clean-up (its worker processes, the engine's leases) runs,
and with two servers in one process the second never hears it. Here the command installs
one handler that stops every server and cancels what is still starting, so killing the
PID a user sees (the bootstrap ``exec``s the command) stops everything, and cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Generator, Iterable
from typing import Any, Literal

import uvicorn

from harvester.web.http_protocol import HeaderDeadlineProtocol

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Server(uvicorn.Server):
    """A uvicorn server whose stop is decided by ``on_stop_signals``, not by itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def server(
    app: Any, host: str, port: int, *, lifespan: Literal["auto", "on", "off"] = "on"
) -> Server:
    """One HTTP server for ``app`` with our defaults (no access log, header deadline)."""
    cfg = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan=lifespan,
        http=HeaderDeadlineProtocol,  # slowloris: a deadline for request headers
    )
    return Server(cfg)


def on_stop_signals(
    servers: Iterable[uvicorn.Server], also: Callable[[], None] | None = None
) -> Callable[[], None]:
    """Stop ``servers`` gracefully on SIGTERM/SIGINT (a second signal forces it) and call
    ``also``; returns the function that removes the handlers again."""
    loop = asyncio.get_running_loop()
    chosen = list(servers)

    def stop() -> None:
        for s in chosen:
            if s.should_exit:
                s.force_exit = True
            s.should_exit = True
        if also is not None:
            also()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop)

    def remove() -> None:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)

    return remove
