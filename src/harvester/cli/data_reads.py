"""Domains, dead letters and the kill switch as the CLI reads and changes them: through
the running server's ``/api/v1`` when one answers, else on the database (which a read
never creates)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from harvester.cli.target import Api, ApiError, Target, describe, fail, reading, require_database
from harvester.store import Database, upgrade
from harvester.store.db import StorageError, storage_problem
from harvester.store.job_runs import dead_letters_page

SERVER_PAGE = 500  # the API's largest page


def open_database(target: Target, *, create: bool = False) -> Database:
    """The harvester's database, migrated to this version; unless ``create`` (a write
    such as turning the kill switch on before the first start), it must exist."""
    url = target.settings.effective_database_url
    if create:
        reading(f"harvester database {describe(url)}")
    else:
        require_database(url, "harvester", target.settings)
    try:
        db = Database(url)
        upgrade(db)
    except StorageError as exc:
        cause = storage_problem(exc) or f"{exc.__class__.__name__}: {exc}"
        raise fail(
            f"[red]cannot open the database:[/] {cause}. "
            "Check DATABASE_URL (`harvester doctor` shows what is configured)."
        ) from exc
    return db


def server_call(api: Api, method: str, path: str, body: Any = None, **params: Any) -> Any:
    """One API call; an error status ends the command with the server's reason."""
    try:
        if method == "GET":
            return api.get(path, **params)
        return api.post(path, body)
    except ApiError as exc:
        if exc.status == 404:
            raise fail(f"[red]not found:[/] {exc.detail}") from exc
        raise fail(f"[red]the server refused ({exc.status}):[/] {exc.detail}") from exc


def server_domains(
    api: Api, params: dict[str, Any], limit: int | None
) -> tuple[int, Iterator[dict[str, Any]]]:
    """How many domains match the API query ``params``, and up to ``limit`` of them
    (all when None), in the query's order."""
    flags = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items()}
    flags = {k: v for k, v in flags.items() if v not in (None, "", "false", 0)}
    total = int(server_call(api, "GET", "/api/v1/domains", limit=1, **flags)["total"])
    want = total if limit is None else min(limit, total)

    def rows() -> Iterator[dict[str, Any]]:
        offset, sent = 0, 0
        while sent < want:
            size = min(SERVER_PAGE, want - sent)
            page = server_call(api, "GET", "/api/v1/domains", limit=size, offset=offset, **flags)
            for row in page["data"][: want - sent]:
                yield _with_datetimes(row)
                sent += 1
            if page["next_offset"] is None:
                return
            offset = page["next_offset"]

    return want, rows()


def _with_datetimes(row: dict[str, Any]) -> dict[str, Any]:
    """API rows carry ISO strings; the CLI formats datetimes like the database gives."""
    for key in ("first_seen_at", "last_seen_at"):
        if isinstance(row.get(key), str):
            row[key] = datetime.fromisoformat(row[key])
    return row


def dead_letters(target: Target, status: str | None) -> list[dict[str, Any]]:
    """Dead letters, newest first (at most 1000)."""
    if target.api is not None:
        rows: list[dict[str, Any]] = []
        after = None
        while len(rows) < 1000:
            page = server_call(
                target.api, "GET", "/api/v1/dead-letters", status=status, after=after, limit=500
            )
            rows += page["data"]
            after = page["next_after"]
            if after is None:
                break
        return rows
    db = open_database(target)
    try:
        with db.session() as s:
            return list(dead_letters_page(s, status=status, limit=1000))
    finally:
        db.dispose()
