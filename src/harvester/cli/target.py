"""Where a command reads state: the harvester server when one answers on the configured
host/port, else the database files — named on stderr, and never created by a read.

Reading ``./data`` relative to the working directory used to make ``cd /tmp && harvester
runs`` print an empty table (and create ``/tmp/data/*.db``); now it asks the running
server, or says which file is missing and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import typer
from rich.console import Console

from harvester.cli.server_address import find_server, is_harvester
from harvester.cli.server_address import server_url as server_url  # where it was before
from harvester.cli.sqlite_path import sqlite_file
from harvester.settings import Settings
from harvester.store.db import hide_password

err = Console(stderr=True)
API_TIMEOUT = httpx.Timeout(30.0, connect=2.0)


class ApiError(Exception):
    """The server answered with an error status."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class Api:
    """A small JSON client for the server's ``/api/v1`` (with the admin token if set)."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base = base
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base, headers=headers, timeout=API_TIMEOUT)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            res = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise fail(f"[red]server {self.base} stopped answering:[/] {exc}") from exc
        if res.status_code >= 400:
            try:
                detail = res.json().get("detail", res.text)
            except ValueError:
                detail = res.text
            raise ApiError(res.status_code, str(detail))
        return res.json()

    def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self.request("GET", path, params=clean)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, json=body)

    def close(self) -> None:
        self._http.close()


@dataclass
class Target:
    """The server to ask, or ``None``: then read the database files."""

    settings: Settings
    api: Api | None

    def close(self) -> None:
        if self.api is not None:
            self.api.close()


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` on stderr and return the exit to raise."""
    err.print(message, highlight=False)
    return typer.Exit(code)


def reading(what: str) -> None:
    """Tell the user (on stderr) where the answer comes from."""
    err.print(f"[dim]reading {what}[/]", highlight=False)


def pick(
    settings: Settings, *, writes: bool = False, url: str | None = None, port: int | None = None
) -> Target:
    """The running server (see ``find_server``) when one answers, else the files; a server
    named with ``--url``/``--port`` that does not answer is an error, not a fallback."""
    found = find_server(settings, url, port)
    base = found.url
    if found.explicit and not is_harvester(base):
        raise fail(
            f"[red]no harvester server answers at {base}[/] ({found.how}): start it with "
            "`harvester up`, or fix the address"
        )
    if is_harvester(base):
        err.print(f"[dim]{'using' if writes else 'reading'} server {base}[/]", highlight=False)
        token = settings.admin_token.get_secret_value() if settings.admin_token else None
        return Target(settings, Api(base, token))
    return Target(settings, None)


def describe(url: str) -> str:
    """A database URL as a person reads it: the absolute file, or the URL sans password."""
    path = sqlite_file(url)
    if path is not None:
        return str(path)
    return hide_password(url)


def require_database(url: str, what: str, settings: Settings) -> None:
    """Refuse to read a SQLite database that does not exist (a read never creates one)."""
    path = sqlite_file(url)
    if path is None or path.exists():
        reading(f"{what} database {describe(url)}")
        return
    raise fail(
        f"[red]no {what} database at {path}[/] and no harvester server answers at "
        f"{find_server(settings).url}.\nStart `harvester up` (it serves this command), or run "
        "the command from the folder that holds data/, or set HARVESTER_DATA_DIR "
        "(or DATABASE_URL) to where `harvester up` keeps its files."
    )
