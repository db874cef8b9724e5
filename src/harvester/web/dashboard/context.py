"""What every dashboard route needs: the runtime, the engine, and the access checks."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request

from harvester.web.security import check_csrf, is_admin, require_admin, require_same_site

PAGE_SIZE = 50
OPEN_PATHS = ("/login", "/logout")


def runtime(request: Request) -> Any:
    """The ``Runtime`` the app was built with."""
    return request.app.state.runtime


def engine(request: Request) -> Any:
    """The embedded engine, or a 404 that says where runs live instead."""
    eng = runtime(request).engine
    if eng is None:
        raise HTTPException(
            404,
            "runs live in your Inngest server: this app uses INNGEST_BASE_URL, "
            "so open that server's dashboard",
        )
    return eng


async def page_access(request: Request) -> None:
    """Dependency of every page: off loopback, log in first (pages show hostile data
    and carry forms; the API behind them needs the token anyway). Then read the kill
    switch, whose banner every page shows while it is on."""
    if request.url.path not in OPEN_PATHS and not is_admin(request):
        raise HTTPException(303, "log in first", headers={"Location": "/login"})
    request.state.kill_switch = await runtime(request).guard.kill_switch.state()


def admin_post(request: Request, csrf: str) -> None:
    """Checks of every state-changing form: admin, same site, CSRF token."""
    require_admin(request)
    require_same_site(request)
    check_csrf(request, csrf)
