"""Errors a person can act on: a browser asking for a dashboard page gets an HTML page
in the dashboard's layout (what went wrong, what to do, a way back), not raw JSON such
as ``{"detail": "domain '…' not found"}`` or a pydantic error list. The JSON API, the
engine's protocol routes and any client that does not ask for HTML keep JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import structlog
from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from harvester.web.dashboard.render import page

log = structlog.get_logger(__name__)
# Machine routes: JSON whatever the client accepts.
MACHINE_PREFIXES = (
    "/api/",
    "/e/",
    "/fn/",
    "/v0/",
    "/worker/",
    "/feeds/",
    "/health",
    "/metrics",
    "/static/",
    "/openapi.json",
)
TITLES = {
    400: "Bad request",
    401: "Log in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Conflict",
    413: "Too large",
    422: "That address does not work",
    429: "Too many requests",
    500: "Something broke on our side",
    503: "Unavailable for a moment",
}


def wants_html(request: Request) -> bool:
    """A browser asking for a page: not a machine route, and it accepts HTML."""
    if request.url.path.startswith(MACHINE_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def _problems(exc: RequestValidationError) -> list[str]:
    """Each bad parameter as ``after: Input should be a valid integer (got 'abc')``."""
    said = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body")]
        got = err.get("input")
        shown = f" (got {got!r})" if isinstance(got, str | int | float) else ""
        said.append(f"{'.'.join(loc) or 'request'}: {err.get('msg', 'invalid')}{shown}")
    return said


def error_page(request: Request, status: int, message: str, problems: list[str]) -> Response:
    """The error page, inside the dashboard's layout."""
    return page(
        request,
        "error.html",
        status_code=status,
        status=status,
        title=TITLES.get(status, "Error"),
        message=message,
        problems=problems,
        back=_same_site(request, request.headers.get("referer") or ""),
    )


def _same_site(request: Request, referer: str) -> str:
    """The referring page's path when it is one of ours (a link back), else nothing."""
    parts = urlsplit(referer)
    if parts.netloc != request.url.netloc or parts.path == request.url.path:
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not wants_html(request) or exc.status_code < 400:
        return await http_exception_handler(request, exc)
    detail = exc.detail if isinstance(exc.detail, str) else ""
    response = error_page(request, exc.status_code, detail, [])
    for k, v in (exc.headers or {}).items():
        response.headers[k] = v
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not wants_html(request):
        return await request_validation_exception_handler(request, exc)
    message = "Part of the address is not what this page takes: fix it, or start again."
    return error_page(request, 422, message, _problems(exc))


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", path=request.url.path, exc_info=exc)
    if not wants_html(request):
        body: dict[str, Any] = {"detail": "internal server error: see the server log"}
        return JSONResponse(body, status_code=500)
    message = "The error is in the server's log (data/harvester.log); nothing you did caused it."
    return error_page(request, 500, message, [])


def install(app: FastAPI) -> None:
    """Serve the dashboard's error pages for browsers; JSON for everyone else."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _server_error)
