"""Who may do what. On loopback (the default bind) everyone local is trusted; bound
elsewhere, every API call, page and state change needs ``HARVESTER_ADMIN_TOKEN`` — as
``Authorization: Bearer <token>`` or the session cookie set by the /login form.

Forms carry a CSRF token (double submit: cookie + hidden field or ``X-CSRF-Token``);
state-changing API calls from another site are refused (``Origin``/``Sec-Fetch-Site``),
which also covers loopback, where a hostile web page could otherwise post to us.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from harvester.engine import cross_site_problem

CSRF_COOKIE = "harvester_csrf"
CSRF_HEADER = "x-csrf-token"
ADMIN_COOKIE = "harvester_admin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
TOKEN_HELP = (
    "admin token required: send 'Authorization: Bearer <HARVESTER_ADMIN_TOKEN>' or log in at /login"
)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: the only binds that skip the token."""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _settings(request: Request) -> Any:
    return request.app.state.runtime.settings


def _token(request: Request) -> str | None:
    token = _settings(request).admin_token
    return token.get_secret_value() if token else None


def session_value(token: str) -> str:
    """What the login cookie holds: derived from the token, never the token itself."""
    return hmac.new(token.encode(), b"harvester-dashboard-session", hashlib.sha256).hexdigest()


def token_required(request: Request) -> bool:
    """Whether this server is bound off loopback (then the admin token guards it)."""
    return not is_loopback(_settings(request).host)


def is_admin(request: Request) -> bool:
    """May this request read the API and change state?"""
    if not token_required(request):
        return True
    token = _token(request)
    if not token:
        return False  # bound off loopback without a token: nobody administers
    bearer = request.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        return hmac.compare_digest(bearer[7:].strip().encode(), token.encode())
    cookie = request.cookies.get(ADMIN_COOKIE, "")
    return hmac.compare_digest(cookie.encode(), session_value(token).encode())


def check_login(request: Request, given: str) -> bool:
    """Does ``given`` match the configured admin token?"""
    token = _token(request)
    return bool(token) and hmac.compare_digest(given.encode(), (token or "").encode())


def require_admin(request: Request) -> None:
    """Dependency: refuse with 401 unless the caller may administer."""
    if not is_admin(request):
        raise HTTPException(401, TOKEN_HELP, headers={"WWW-Authenticate": "Bearer"})


def require_same_site(request: Request) -> None:
    """Dependency for state changes: refuse requests a browser sent from another
    origin (another port of 127.0.0.1 included: a browser calls that "same-site")."""
    if request.method in SAFE_METHODS:
        return
    settings = _settings(request)
    problem = cross_site_problem(
        request.headers, bind_host=settings.host, allowed_origins=settings.origin_list
    )
    if problem is not None:
        raise HTTPException(403, f"{problem}: use the dashboard or the CLI")


def require_json_body(request: Request) -> None:
    """A write to the JSON API with a body must say it is JSON: a page cannot make a
    browser send that to another origin without a CORS preflight, which we never allow."""
    if request.method in SAFE_METHODS:
        return
    length = request.headers.get("content-length")
    has_body = bool(request.headers.get("transfer-encoding")) or length not in (None, "0")
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if has_body and media != "application/json" and not media.endswith("+json"):
        raise HTTPException(
            415, f"Content-Type {media[:60] or 'none'!r} is not JSON: send application/json"
        )


def api_guard(request: Request) -> None:
    """Dependency of every ``/api/v1`` route: admin (off loopback), same-site writes
    with JSON bodies."""
    require_admin(request)
    require_same_site(request)
    require_json_body(request)


def csrf_token(request: Request, response: Response) -> str:
    """The CSRF token of this browser, setting its cookie on first use."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    return token


def check_csrf(request: Request, form_token: str | None) -> None:
    """Refuse a form post whose token (field or header) differs from its cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    given = form_token or request.headers.get(CSRF_HEADER, "")
    if not cookie or not given or not hmac.compare_digest(cookie, given):
        raise HTTPException(403, "CSRF check failed: reload the page and submit again")


def safe_url(value: Any) -> str | None:
    """Only http(s) links from stored data reach an href (no ``javascript:``)."""
    if not isinstance(value, str):
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


# The Inngest protocol routes. The embedded engine runs in dev mode (no signatures), so
# bound off loopback they would let anyone send events, sync functions at any URL or
# call a function with forged steps: there they take loopback clients (the engine and
# the SDK in this process), the admin token, or for events INNGEST_EVENT_KEY.
PROTOCOL_PREFIXES = ("/e/", "/fn/", "/api/inngest", "/v0/runs/")
PROTOCOL_HELP = (
    "bound off loopback, the Inngest routes of the embedded engine take loopback clients, "
    "'Authorization: Bearer <HARVESTER_ADMIN_TOKEN>', or (events) /e/<INNGEST_EVENT_KEY>"
)


def protocol_guard(request: Request) -> None:
    """Refuse (401) a protocol call from off this machine that proves nothing."""
    runtime = request.app.state.runtime
    if not token_required(request) or runtime.engine is None or not runtime.engine.cfg.dev:
        return  # on loopback, or a real Inngest server / signed mode checks its own keys
    client = request.client.host if request.client else ""
    if is_loopback(client) or is_admin(request):
        return
    key = _settings(request).inngest_event_key
    path = request.url.path
    if key and path.startswith("/e/"):
        given = path[3:].encode("utf-8", "surrogatepass")
        if hmac.compare_digest(given, key.get_secret_value().encode()):
            return
    raise HTTPException(401, PROTOCOL_HELP)


# Paths the token guards, whichever router serves them (the engine's inspection API too).
GUARDED_PREFIXES = ("/api/v1/", "/v1/", "/v0/")


class AdminGateMiddleware:
    """ASGI middleware for the whole app: off loopback, the engine's inspection API
    (``/v1/``, ``/v0/gql``) needs the admin token like ours; cross-site writes are refused.

    The SDK protocol paths (``/e/``, ``/fn/register``, ``/api/inngest``) keep their own
    keys and signatures and are not touched.
    """

    def __init__(self, app: ASGIApp, is_guarded: Callable[[str], bool] | None = None) -> None:
        self.app = app
        # /v0/runs/{id}/batch|actions are SDK call-backs, authenticated by signing key.
        self.is_guarded = is_guarded or (
            lambda p: p.startswith(GUARDED_PREFIXES) and not p.startswith("/v0/runs/")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guarded = self.is_guarded(scope["path"])
        if not guarded and not str(scope["path"]).startswith(PROTOCOL_PREFIXES):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            if guarded:
                api_guard(request)
            else:
                protocol_guard(request)
        except HTTPException as exc:
            res = JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
            await res(scope, receive, send)
            return
        await self.app(scope, receive, send)
