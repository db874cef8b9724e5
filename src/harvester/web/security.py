"""Who may change things: anyone on loopback; off loopback, the admin token
(``HARVESTER_ADMIN_TOKEN``) as a Bearer header or the cookie set by /login. Forms carry
a CSRF token (double submit: cookie + hidden field)."""

from __future__ import annotations

import hmac
import ipaddress
import secrets

from fastapi import HTTPException, Request, Response

CSRF_COOKIE = "harvester_csrf"
ADMIN_COOKIE = "harvester_admin"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _token(request: Request) -> str | None:
    settings = request.app.state.runtime.settings
    return settings.admin_token.get_secret_value() if settings.admin_token else None


def is_admin(request: Request) -> bool:
    settings = request.app.state.runtime.settings
    if is_loopback(settings.host):
        return True
    token = _token(request)
    if not token:
        return False
    given = request.headers.get("authorization", "").removeprefix(
        "Bearer "
    ).strip() or request.cookies.get(ADMIN_COOKIE, "")
    return hmac.compare_digest(given.encode(), token.encode())


def require_admin(request: Request) -> None:
    """Dependency: refuse with 401 unless the caller may administer."""
    if not is_admin(request):
        raise HTTPException(
            401,
            "admin token required: send 'Authorization: Bearer "
            "<HARVESTER_ADMIN_TOKEN>' or log in at /login",
        )


def csrf_token(request: Request, response: Response) -> str:
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict")
    return token


def check_csrf(request: Request, form_token: str | None) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not form_token or not hmac.compare_digest(cookie, form_token):
        raise HTTPException(403, "CSRF check failed: reload the page and submit again")
