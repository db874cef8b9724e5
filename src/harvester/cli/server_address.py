"""Where the running server is: ``up`` writes its address to ``DATA_DIR/server.json`` and
the reading commands (``doctor``, ``runs``, ``status``, ``send``...) look there first.
Light on purpose (no database layer): ``doctor`` uses it.

Without it, a server started with ``--port 9000`` was invisible to ``doctor`` ("not
running") and to ``runs`` (which read the files instead). ``--url``/``--port`` on a
command still win; a file left by a server that died (its pid is gone) is ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from harvester.clock import unix_now

if TYPE_CHECKING:
    from harvester.settings import Settings

ADDRESS_FILE = "server.json"
ANY_ADDRESS = ("0.0.0.0", "::", "")
PROBE_SECONDS, PROBE_CONNECT_SECONDS = 1.0, 0.5  # an answer / a connection to /health
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="Server URL (default: the address `harvester up` wrote to the data dir, "
        "else HARVESTER_HOST:HARVESTER_PORT).",
    ),
]
PortOption = Annotated[
    int | None,
    typer.Option("--port", min=1, max=65535, help="Port of the server on HARVESTER_HOST."),
]


@dataclass(frozen=True)
class Address:
    """A server's base URL, its process id and when it started (unix seconds)."""

    url: str
    pid: int
    started_at: float


def path_in(data_dir: Path) -> Path:
    return data_dir / ADDRESS_FILE


def write(data_dir: Path, url: str) -> Address:
    """Record this process as the server at ``url`` (atomically: a reader never sees half)."""
    address = Address(url.rstrip("/"), os.getpid(), unix_now())
    target = path_in(data_dir)
    tmp = target.with_suffix(f".{address.pid}.tmp")
    tmp.write_text(json.dumps(address.__dict__), encoding="utf-8")
    tmp.replace(target)
    return address


def remove(data_dir: Path) -> None:
    """Forget the address, if it is still this process's (another server may own it now)."""
    found = read(data_dir, check_alive=False)
    if found is not None and found.pid == os.getpid():
        path_in(data_dir).unlink(missing_ok=True)


def read(data_dir: Path, *, check_alive: bool = True) -> Address | None:
    """The recorded server, or None (no file, unreadable, or its process is gone)."""
    try:
        raw = json.loads(path_in(data_dir).read_text(encoding="utf-8"))
        address = Address(str(raw["url"]), int(raw["pid"]), float(raw["started_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if check_alive and not _alive(address.pid):
        return None
    return address


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def server_url(settings: Settings, host: str | None = None, port: int | None = None) -> str:
    """The base URL of the web/engine server (a wildcard bind is reached on loopback)."""
    h = host or settings.host
    h = "127.0.0.1" if h in ANY_ADDRESS else h
    return f"http://{'[' + h + ']' if ':' in h else h}:{port or settings.port}"


@dataclass(frozen=True)
class Found:
    """The server URL a command uses and how it was chosen (said when it does not answer)."""

    url: str
    how: str
    explicit: bool


def find_server(settings: Settings, url: str | None = None, port: int | None = None) -> Found:
    """``--url``, else ``--port``, else the address ``up`` recorded in the data dir, else
    the configured host and port."""
    if url:
        return Found(url.rstrip("/"), "--url", True)
    if port:
        return Found(server_url(settings, port=port), "--port", True)
    recorded = read(settings.data_dir)
    if recorded is not None:
        where = path_in(settings.data_dir)
        return Found(recorded.url, f"recorded in {where} by pid {recorded.pid}", False)
    return Found(server_url(settings), "HARVESTER_HOST/HARVESTER_PORT", False)


def is_harvester(base: str) -> bool:
    """Does a harvester server (not some other program) answer at ``base``?"""
    import httpx  # here, not above: `doctor` with no server up never needs it

    try:
        timeout = httpx.Timeout(PROBE_SECONDS, connect=PROBE_CONNECT_SECONDS)
        res = httpx.get(f"{base}/health", timeout=timeout)
        body = res.json()
    except (httpx.HTTPError, ValueError):
        return False
    return res.status_code == 200 and isinstance(body, dict) and {"ok", "engine"} <= set(body)
