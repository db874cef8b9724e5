"""A free loopback port, so a CLI test never reads a server another process runs on the
default port (the CLI asks the server when one answers)."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
