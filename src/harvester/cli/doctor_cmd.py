"""``harvester doctor``: what is configured, what is reachable, and what to do about it."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import typer
from rich.table import Table

from harvester.cli.server_address import PortOption, UrlOption, find_server, is_harvester
from harvester.cli.sqlite_path import sqlite_file
from harvester.cli.terminal import stdout_console
from harvester.clock import utcnow
from harvester.settings import Settings, get_settings
from harvester.tiktok.capabilities import (
    capabilities,
    effective,
    missing_settings,
    quota_client_key,
)

if TYPE_CHECKING:
    from harvester.guard.quota import QuotaStatus


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    hint: str = ""


def check_database(settings: Settings) -> Check:
    url = settings.effective_database_url
    missing = sqlite_file(url)
    if missing is not None and not missing.exists():  # looking must not create it
        return Check(
            "database",
            True,
            f"no database yet at {missing}",
            "`harvester up` (or `harvester db upgrade`) creates it; if it lives elsewhere, "
            "run from the folder that holds data/ or set HARVESTER_DATA_DIR",
        )
    from harvester.store.migrate import head_revision

    try:
        rev, head = _revision(url), head_revision()
    except Exception as exc:
        return Check(
            "database",
            False,
            f"{_redact(url)}: {exc.__class__.__name__}: {exc}"[:300],
            "check DATABASE_URL; for Postgres make sure the server runs and accepts the user",
        )
    if rev != head:
        return Check(
            "database",
            True,
            f"{_redact(url)} schema {rev or 'empty'} (head {head})",
            "run `harvester db upgrade` (also done on `harvester up`)",
        )
    return Check("database", True, f"{_redact(url)} schema {rev}")


def _revision(url: str) -> str | None:
    """The schema's revision; a SQLite file is read with the standard library (read-only,
    and without importing SQLAlchemy, which would triple doctor's time)."""
    file = sqlite_file(url)
    if file is not None:
        from harvester.store.sqlite_peek import revision

        return revision(file)
    from harvester.store import Database
    from harvester.store.migrate import current_revision

    db = Database(url)
    try:
        db.ping()
        return current_revision(db)
    finally:
        db.dispose()


def check_redis(settings: Settings) -> Check:
    if not settings.redis_url:
        return Check("redis", True, "not configured: token bucket and breakers use the database")
    try:
        import redis

        redis.Redis.from_url(settings.redis_url, socket_timeout=2).ping()
    except Exception as exc:
        return Check(
            "redis",
            False,
            f"{_redact(settings.redis_url)}: {exc}",
            "start Redis or unset REDIS_URL",
        )
    return Check("redis", True, f"{_redact(settings.redis_url)} reachable")


def check_http(name: str, url: str, hint: str) -> Check:
    import httpx  # only where a check goes over HTTP

    try:
        httpx.get(url, timeout=2.0)
    except httpx.HTTPError as exc:
        return Check(name, False, f"{url}: {exc.__class__.__name__}", hint)
    return Check(name, True, f"{url} reachable")


def check_source(settings: Settings) -> Check:
    source = capabilities(settings.source)
    missing = missing_settings(settings)
    if missing:
        return Check(
            "source",
            False,
            f"{source.label} selected without {' and '.join(missing)}",
            f"set {' and '.join(missing)}",
        )
    if source.simulated:
        return Check("source", True, source.label)
    if source.callbacks:  # a worker of the user's: is it up?
        assert settings.worker_webhook_url
        return check_http(
            "source",
            settings.worker_webhook_url,
            "start your worker (`harvester worker`) or fix WORKER_WEBHOOK_URL",
        )
    host = urlsplit(settings.tiktok_api_base_url).hostname or ""
    return Check("source", True, f"{source.label} at {host} (credentials set)")


def check_quota(settings: Settings) -> Check:
    """Today's use of the daily TikTok quota, from the shared ledger."""
    if not capabilities(settings.source).spends_quota:
        return Check("quota", True, "webhook worker: no TikTok quota is spent here")
    missing = sqlite_file(settings.effective_database_url)
    if not settings.redis_url and missing is not None and not missing.exists():
        return Check("quota", True, "nothing spent yet: no database yet")  # never create one
    try:
        statuses = _quota_statuses(settings)
    except Exception as exc:
        return Check(
            "quota",
            False,
            f"ledger unreadable: {exc.__class__.__name__}: {exc}"[:300],
            "run `harvester db upgrade`; check DATABASE_URL / REDIS_URL",
        )
    parts = [
        f"{api} {st.used_requests}/{st.limit_requests} requests, "
        f"{st.used_records}/{st.limit_records} records"
        for api, st in statuses.items()
    ]
    reset = statuses["research"].resets_at
    hours = (reset - utcnow()).total_seconds() / 3600
    detail = f"used today: {'; '.join(parts)}; resets 00:00 UTC (in {hours:.1f} h)"
    spent = [api for api, st in statuses.items() if st.spent]
    hint = f"{', '.join(spent)} quota spent: harvests wait for the reset" if spent else ""
    return Check("quota", True, detail, hint)


def _quota_statuses(settings: Settings) -> dict[str, QuotaStatus]:
    """Today's use per API, read from the shared ledger (never spent nor seeded)."""
    from harvester.guard.quota import APIS, QuotaLedger, make_ledger

    whose = (
        quota_client_key(settings),
        effective(settings, "quota_requests_per_day"),
        effective(settings, "quota_records_per_day"),
    )
    file = sqlite_file(settings.effective_database_url)
    if file is not None and not settings.redis_url:
        ledger = QuotaLedger(_LedgerFile(file), *whose)
        return {api: ledger.status(api) for api in APIS}
    from harvester.store import Database

    db = Database(settings.effective_database_url)
    try:
        ledger = make_ledger(db, settings.redis_url, *whose)
        return {api: ledger.status(api) for api in APIS}
    finally:
        db.dispose()


class _LedgerFile:
    """The ledger's rows in a SQLite file, looked at with the standard library (the
    guard's backend protocol, for ``QuotaLedger.status`` only: doctor never spends)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def spend(
        self, key: tuple[str, str, str], mode: str, n: int, limits: tuple[int, int], now: float
    ) -> tuple[bool, int, int]:
        if mode != "peek":
            raise RuntimeError("doctor only looks at the quota ledger")
        from harvester.store.sqlite_peek import quota_usage

        requests, records = quota_usage(self._path, *key)
        return True, requests, records


def check_engine(settings: Settings, url: str | None = None, port: int | None = None) -> Check:
    if settings.inngest_base_url and not settings.inngest_dev:
        return check_http(
            "engine",
            settings.inngest_base_url,
            "check INNGEST_BASE_URL and your Inngest server / keys",
        )
    found = find_server(settings, url, port)
    # A connection first: when nothing listens (the usual case), no HTTP client loads.
    if not _listening(found.url):
        return Check(
            "engine",
            not found.explicit,
            f"embedded; not running now at {found.url} ({found.how})",
            "start it with `harvester up`"
            + ("" if found.explicit else " (or pass --port/--url if it runs elsewhere)"),
        )
    if is_harvester(found.url):
        return Check("engine", True, f"embedded; running at {found.url} ({found.how})")
    return Check(
        "engine",
        False,
        f"{found.url} answers, but not as the harvester ({found.how})",
        "another program holds the port: set HARVESTER_PORT, or pass --port/--url",
    )


def _listening(url: str) -> bool:
    """Does something accept a connection at ``url``'s host and port?"""
    where = urlsplit(url)
    port = where.port or (443 if where.scheme == "https" else 80)
    try:
        with socket.create_connection((where.hostname or "", port), timeout=1):
            return True
    except OSError:
        return False


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def doctor(url: UrlOption = None, port: PortOption = None) -> None:
    """Print what is configured and what is reachable, with a hint for each problem."""
    settings = get_settings()
    checks = [
        check_database(settings),
        check_redis(settings),
        check_source(settings),
        check_quota(settings),
        check_engine(settings, url, port),
    ]
    table = Table("check", "status", "detail", "what to do", title="harvester doctor")
    for c in checks:
        table.add_row(c.name, "[green]ok[/]" if c.ok else "[red]problem[/]", c.detail, c.hint)
    stdout_console().print(table)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
