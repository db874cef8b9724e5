"""Refuse requests a web browser sent on another site's behalf (docs/security.md).

A page open in the analyst's browser can send requests to loopback: a ``no-cors``
fetch or an auto-submitting form, with ``text/plain``, form or no content type, and
the browser sends them without asking (no CORS preflight). Two checks make every
state change out of reach of such a page while SDK clients, curl and our CLI (no
``Origin``) keep working:

- the body must be JSON (``application/json`` or ``*+json``): a browser sends that
  cross-origin only after a preflight, which gets no CORS allowance here;
- a request whose ``Origin`` or ``Sec-Fetch-Site`` names another origin is refused
  unless that origin is configured. Same-site is not enough: another port of
  127.0.0.1 is the "same site" to a browser, and may be anyone's page. On a loopback
  bind the ``Host`` must be a loopback name too, or a DNS-rebinding page (its own
  name pointing at 127.0.0.1) would look same-origin.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CROSS = frozenset({"cross-site", "same-site"})


def loopback_name(host: str) -> bool:
    """True for localhost (and its subdomains), 127.0.0.0/8 and ::1."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _norm_origin(origin: str) -> str:
    parts = urlsplit(origin.strip().lower())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else origin


def is_json_type(content_type: str | None) -> bool:
    """``application/json`` or a ``+json`` type: what no browser sends cross-origin
    without a preflight."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def cross_site_problem(
    headers: Mapping[str, str],
    *,
    bind_host: str,
    allowed_origins: Iterable[str] = (),
) -> str | None:
    """Why a state-changing request looks sent by another site's page, or None.

    ``headers``: the request's (lower-case names); ``bind_host``: the address the
    server listens on; ``allowed_origins``: origins configured as trusted."""
    allowed = {_norm_origin(o) for o in allowed_origins if o}
    origin = headers.get("origin")
    fetch_site = headers.get("sec-fetch-site", "").lower()
    if origin is not None and _norm_origin(origin) in allowed:
        return None
    if origin is not None and origin.strip().lower() == "null":
        return "request from an opaque origin (a sandboxed page or a file) refused"
    if fetch_site in CROSS:
        return f"{fetch_site} browser request refused (Origin {origin or 'not sent'})"
    if origin is None:
        return None  # not from a browser page (SDK, curl, CLI) or a top-level navigation
    host = headers.get("host", "")
    own = urlsplit(_norm_origin(origin))
    if own.netloc != host.lower():
        return f"request from origin {origin} refused: only this server's own pages may write"
    if loopback_name(bind_host) and not loopback_name(own.hostname or ""):
        return f"request for host {host} refused: this server answers loopback names only"
    return None


def browser_problem(
    method: str,
    headers: Mapping[str, str],
    *,
    bind_host: str,
    allowed_origins: Iterable[str] = (),
    require_json: bool = True,
) -> tuple[int, str] | None:
    """(status, reason) when a state-changing request must be refused: 403 when sent
    by another site's page, 415 when its body is not JSON; None when it may go on."""
    if method.upper() in SAFE_METHODS:
        return None
    problem = cross_site_problem(headers, bind_host=bind_host, allowed_origins=allowed_origins)
    if problem is not None:
        return 403, problem
    if require_json and not is_json_type(headers.get("content-type")):
        media = (headers.get("content-type") or "none").split(";", 1)[0].strip()
        return 415, f"Content-Type {media[:60]!r} is not JSON: send application/json"
    return None


class BrowserGuardMiddleware:
    """ASGI middleware: every state-changing request to the wrapped app passes
    ``browser_problem`` first (``harvester engine``'s run API beside the protocol)."""

    def __init__(
        self, app: ASGIApp, *, bind_host: str, allowed_origins: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.bind_host = bind_host
        self.allowed_origins = tuple(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = Headers(scope=scope)
            refused = browser_problem(
                scope["method"],
                headers,
                bind_host=self.bind_host,
                allowed_origins=self.allowed_origins,
                require_json=_has_body(headers),
            )
            if refused is not None:
                status, reason = refused
                await JSONResponse({"detail": reason}, status)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _has_body(headers: Mapping[str, str]) -> bool:
    """A body is coming (a bodiless POST, e.g. cancel, needs no content type)."""
    length = headers.get("content-length")
    return bool(headers.get("transfer-encoding")) or (length is not None and length != "0")
