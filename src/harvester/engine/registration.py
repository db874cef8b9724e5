"""Who may sync functions into the engine (``POST /fn/register``), docs/security.md.

A registration decides which URLs the engine will call with run data and which
functions run on events, so it is a write like no other: an unchecked one is an SSRF
primitive (the engine POSTs to any URL it is given) and can replace another app's
functions. The engine's own syncs carry a ticket (``sync_tickets``) and skip this.
"""

from __future__ import annotations

import contextlib
import ipaddress
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from harvester.engine import schema
from harvester.engine.browser_guard import loopback_name
from harvester.engine.config import EngineConfig
from harvester.engine.sysdb import SystemDatabase

SIGN_HELP = (
    "send 'Authorization: Bearer <hashed INNGEST_SIGNING_KEY>' (the SDK does when it has the key)"
)


def app_host_allowed(url: str, allowed: tuple[str, ...]) -> bool:
    """An app URL the engine may call: http(s) on loopback, or a host (name or CIDR
    network) the operator listed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    if loopback_name(host) and not host.endswith(".localhost"):
        return True
    try:
        addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        addr = None
    for raw in allowed:
        entry = raw.strip().lower()
        if addr is not None and ("/" in entry or _is_ip(entry)):
            with contextlib.suppress(ValueError):
                if addr in ipaddress.ip_network(entry, strict=False):
                    return True
        elif entry and host == entry:
            return True
    return False


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _owners(db: SystemDatabase, app_id: str, ids: list[str]) -> tuple[set[str], set[str]]:
    """URLs already registered under ``app_id``, and URLs serving any of ``ids``."""
    with db.sql.connect() as conn:
        by_name = conn.execute(
            sa.select(schema.apps.c.url).where(schema.apps.c.app_id == app_id)
        ).scalars()
        urls = set(by_name)
        fns = conn.execute(
            sa.select(schema.functions.c.app_url).where(schema.functions.c.id.in_(ids))
        ).scalars()
        return urls, set(fns)


def registration_problem(
    cfg: EngineConfig,
    db: SystemDatabase,
    url: str,
    app_id: str,
    functions: list[Any],
    *,
    signed: bool,
) -> tuple[int, str] | None:
    """(status, reason) refusing an outside registration, or None to take it."""
    if cfg.signing_key and not signed:
        return 401, f"bad signing key: INNGEST_SIGNING_KEY is set here; {SIGN_HELP}"
    if not signed and not cfg.open_registration:
        return 403, (
            "this engine syncs its own functions in process and takes no outside "
            f"registration: {SIGN_HELP}, or set HARVESTER_ENGINE_OPEN_REGISTRATION=true"
        )
    if not app_host_allowed(url, cfg.app_hosts):
        return 403, (
            f"app URL {url[:200]!r} refused: the engine calls apps on loopback only, "
            "unless their host is listed in HARVESTER_ENGINE_APP_HOSTS"
        )
    if signed:
        return None
    ids = [str(f.get("id")) for f in functions if isinstance(f, dict) and f.get("id")]
    same_name, serving = _owners(db, app_id, ids)
    if same_name - {url}:
        return 409, (
            f"app {app_id!r} is registered from another URL ({sorted(same_name)[0]}): "
            f"an unsigned sync may not replace it; {SIGN_HELP}"
        )
    if serving - {url}:
        return 409, (
            "a function of this sync is served by another app's URL: an unsigned sync "
            f"may not take it over; {SIGN_HELP}"
        )
    return None
