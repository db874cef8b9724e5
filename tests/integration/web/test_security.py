"""Off loopback: the admin token guards pages, the API and every form; login works."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.web.app import create_app
from harvester.web.security import ADMIN_COOKIE, AdminGateMiddleware

TOKEN = "s3cret-token"


@pytest.fixture
async def exposed(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    runtime = build_runtime(Settings(data_dir=tmp_path, host="0.0.0.0", admin_token=TOKEN))
    app = create_app(runtime, start_engine=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.5:8288") as c:
        yield c
    await runtime.aclose()


async def _csrf(c: httpx.AsyncClient, path: str = "/login") -> str:
    html = (await c.get(path)).text
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def test_api_needs_the_bearer_token(exposed: httpx.AsyncClient) -> None:
    res = await exposed.get("/api/v1/domains")
    assert res.status_code == 401 and "HARVESTER_ADMIN_TOKEN" in res.json()["detail"]
    bad = {"Authorization": "Bearer wrong"}
    assert (
        await exposed.post("/api/v1/kill-switch", json={"on": True}, headers=bad)
    ).status_code == 401
    ok = await exposed.get("/api/v1/domains", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200


async def test_pages_send_you_to_login_and_the_login_checks_the_token(
    exposed: httpx.AsyncClient,
) -> None:
    res = await exposed.get("/admin")
    assert res.status_code == 303 and res.headers["location"] == "/login"
    csrf = await _csrf(exposed)
    wrong = await exposed.post("/login", data={"token": "nope", "csrf": csrf})
    assert wrong.headers["location"] == "/login?failed=true"
    assert ADMIN_COOKIE not in exposed.cookies
    good = await exposed.post("/login", data={"token": TOKEN, "csrf": csrf})
    assert good.status_code == 303 and good.headers["location"] == "/"
    assert exposed.cookies[ADMIN_COOKIE] != TOKEN  # a derived value, not the secret
    assert (await exposed.get("/admin")).status_code == 200
    assert (await exposed.get("/api/v1/kill-switch")).status_code == 200  # the cookie works


async def test_logged_in_forms_still_need_the_csrf_token(exposed: httpx.AsyncClient) -> None:
    csrf = await _csrf(exposed)
    await exposed.post("/login", data={"token": TOKEN, "csrf": csrf})
    refused = await exposed.post("/admin/kill-switch", data={"on": "1", "csrf": "forged"})
    assert refused.status_code == 403
    done = await exposed.post("/admin/kill-switch", data={"on": "1", "csrf": csrf})
    assert done.status_code == 303
    assert (await exposed.get("/api/v1/kill-switch")).json()["on"] is True


async def test_without_a_configured_token_nobody_administers(tmp_path: Path) -> None:
    runtime = build_runtime(Settings(data_dir=tmp_path, host="0.0.0.0"))
    app = create_app(runtime, start_engine=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as c:
        assert (
            await c.get("/api/v1/health", headers={"Authorization": "Bearer "})
        ).status_code == 401
    await runtime.aclose()


async def test_the_gate_middleware_guards_other_routers_too(tmp_path: Path) -> None:
    runtime = build_runtime(Settings(data_dir=tmp_path, host="0.0.0.0", admin_token=TOKEN))
    app: FastAPI = create_app(runtime, start_engine=False)
    app.add_middleware(AdminGateMiddleware)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as c:
        assert (await c.get("/v1/events")).status_code == 401  # the engine's own router
        assert (await c.get("/api/v1/runs")).status_code == 401  # runs, through the face
        assert (await c.get("/health")).status_code == 200
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert (await c.get("/api/v1/runs", headers=auth)).status_code == 200
        assert (await c.get("/v1/events", headers=auth)).status_code == 200
        evil = {**auth, "Origin": "http://evil.example"}
        assert (await c.post("/api/v1/runs/x/cancel", headers=evil)).status_code == 403
    await runtime.aclose()


async def test_loopback_security_headers(tmp_path: Path) -> None:
    runtime = build_runtime(Settings(data_dir=tmp_path))
    app = create_app(runtime, start_engine=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as c:
        res = await c.get("/")
        csp = res.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert res.headers["x-frame-options"] == "DENY"
        assert "harvester_csrf" in res.headers["set-cookie"]
        assert "SameSite=strict" in res.headers["set-cookie"]
    await runtime.aclose()
