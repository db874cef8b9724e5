"""Security review, as tests: off loopback every state change needs the admin token
(the Inngest protocol routes included), every dashboard form needs its CSRF token, and
no secret reaches a log line, a response or an error page."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from harvester.runtime import Runtime, build_runtime
from harvester.settings import Settings, get_settings
from harvester.web.app import create_app

TOKEN = "admin-token-7f3a9c"
EVENT_KEY = "event-key-51d0e2"
SIGNING_KEY = "signkey-prod-" + "9b" * 32
TIKTOK_SECRET = "tiktok-secret-c4e8a1"
SECRETS = [TOKEN, EVENT_KEY, SIGNING_KEY, SIGNING_KEY.removeprefix("signkey-prod-"), TIKTOK_SECRET]
STATE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
REMOTE = ("10.0.0.9", 40123)  # a client on the network, not this machine
FILL = {"run_id": "01JABCDEFGHJKMNPQRSTVWXYZ0", "dl_id": "1", "internal_id": "01JABC",
        "event_key": "not-the-key"}  # fmt: skip


def state_changing_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the app that may change state."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for r in routes:
            if type(r).__name__ == "_IncludedRouter":  # FastAPI's lazily included router
                walk(r.original_router.routes, prefix + r.include_context.prefix)
            elif hasattr(r, "routes") and not hasattr(r, "methods"):
                walk(r.routes, prefix + getattr(r, "path", ""))
            else:
                for m in sorted((getattr(r, "methods", None) or set()) & STATE_METHODS):
                    found.append((m, prefix + r.path))

    walk(list(app.routes), "")
    return found


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: FILL.get(m.group(1), "x"), path)


@pytest.fixture
def env_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("INNGEST_EVENT_KEY", EVENT_KEY)
    monkeypatch.setenv("INNGEST_SIGNING_KEY", SIGNING_KEY)
    monkeypatch.setenv("TIKTOK_CLIENT_SECRET", TIKTOK_SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
async def exposed(tmp_path: Path, env_secrets: None) -> AsyncIterator[tuple[FastAPI, Runtime]]:
    runtime = build_runtime(Settings(data_dir=tmp_path, host="0.0.0.0", admin_token=TOKEN))
    yield create_app(runtime, start_engine=False), runtime
    await runtime.aclose()


def _client(app: FastAPI, client: tuple[str, int] = REMOTE) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=client)
    return httpx.AsyncClient(transport=transport, base_url="http://10.0.0.5:8288")


# Routes a remote worker posts to, proving itself with its HMAC signature (refused
# unsigned, or when no WORKER_WEBHOOK_SECRET is set: tests/integration/jobs/test_worker_async.py).
SIGNED_BY_THE_WORKER = {"/worker/results"}


def _stored_events(runtime: Runtime) -> int:
    assert runtime.engine is not None
    return len(runtime.engine.list_events(limit=500))


async def test_every_state_change_off_loopback_needs_the_admin_token(
    exposed: tuple[FastAPI, Runtime],
) -> None:
    app, runtime = exposed
    routes = [r for r in state_changing_routes(app) if r[1] != "/login"]  # login gets it
    paths = {p for _, p in routes}
    for must in ["/api/v1/kill-switch", "/api/v1/runs/{run_id}/cancel", "/e/{event_key}",
                 "/api/v1/dead-letters/replay", "/admin/kill-switch", "/fn/register"]:  # fmt: skip
        assert must in paths, sorted(paths)  # the walk sees the routes that matter
    async with _client(app) as c:
        for method, path in routes:
            body = {"on": True, "name": "system/kill_switch.on", "data": {}, "functions": []}
            res = await c.request(method, _fill(path), json=body)
            refused = res.status_code in (401, 403) or (
                res.status_code == 303 and res.headers["location"].startswith("/login")
            )
            if path in SIGNED_BY_THE_WORKER:  # a remote worker's own HMAC, not the token:
                refused = res.status_code in (401, 503)  # unsigned, or no secret set

            assert refused, (method, path, res.status_code, res.text[:200])
        assert (
            await c.get("/api/v1/kill-switch", headers={"Authorization": f"Bearer {TOKEN}"})
        ).json()["on"] is False
    assert _stored_events(runtime) == 0
    assert runtime.engine is not None and runtime.engine.list_functions() == []


async def test_protocol_routes_take_the_event_key_the_token_or_loopback(
    exposed: tuple[FastAPI, Runtime],
) -> None:
    app, runtime = exposed
    event = {"name": "test/remote", "data": {}}
    async with _client(app) as remote:
        assert (await remote.post(f"/e/{EVENT_KEY}", json=event)).status_code == 200
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        # INNGEST_EVENT_KEY is set: it is the only key taken, the admin token included.
        assert (await remote.post("/e/anything", json=event, headers=bearer)).status_code == 401
        refused = await remote.post("/e/anything", json=event)
        assert refused.status_code == 401 and "INNGEST_EVENT_KEY" in refused.json()["detail"]
    async with _client(app, ("127.0.0.1", 5000)) as local:  # the engine and SDK in-process
        assert (await local.post(f"/e/{EVENT_KEY}", json=event)).status_code == 200
        assert (await local.post("/e/anything", json=event)).status_code == 401
    assert _stored_events(runtime) == 2


async def test_every_dashboard_form_needs_its_csrf_token(exposed: tuple[FastAPI, Runtime]) -> None:
    app, _ = exposed
    forms = [
        (m, p) for m, p in state_changing_routes(app)
        if not p.startswith(("/api/", "/e/", "/fn/", "/v0/", "/v1/"))
        and p not in SIGNED_BY_THE_WORKER
    ]  # fmt: skip
    assert ("POST", "/admin/kill-switch") in forms and ("POST", "/login") in forms
    async with _client(app) as c:
        html = (await c.get("/login")).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', html)
        assert csrf
        await c.post("/login", data={"token": TOKEN, "csrf": csrf.group(1)})
        for method, path in forms:
            res = await c.request(method, _fill(path), data={"on": "1", "csrf": "forged"})
            assert res.status_code == 403, (method, path, res.status_code, res.text[:200])
            assert "CSRF" in res.text


async def test_no_secret_in_a_log_line_a_response_or_an_error_page(
    exposed: tuple[FastAPI, Runtime],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, _ = exposed
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    async with _client(app) as c:
        for method, path, kw in [
            ("POST", "/login", {"data": {"token": TOKEN[:-1], "csrf": "x"}}),
            ("GET", "/api/v1/domains", {"headers": {"Authorization": "Bearer wrong"}}),
            ("POST", f"/e/{EVENT_KEY[:-1]}", {"json": {"name": "a"}}),
            ("POST", "/fn/register", {"content": b"[" * 5000}),
            ("GET", "/no/such/page", {}),
            ("GET", "/api/v1/health", {"headers": {"Authorization": f"Bearer {TOKEN}"}}),
            ("GET", "/settings", {"headers": {"Authorization": f"Bearer {TOKEN}"}}),
            ("GET", "/admin", {"headers": {"Authorization": f"Bearer {TOKEN}"}}),
            ("PUT", "/api/inngest", {}),
        ]:
            res = await c.request(method, path, **kw)
            seen.append(f"{method} {path} {res.status_code} {res.headers} {res.text}")
    out = capsys.readouterr()
    captured = "\n".join([*seen, caplog.text, out.out, out.err])
    for secret in SECRETS:
        assert secret not in captured, f"a secret ({secret[:6]}…) leaked"


def test_doctor_shows_no_secret(
    env_secrets: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from harvester.cli import app

    monkeypatch.setenv("HARVESTER_ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    res = CliRunner().invoke(app, ["doctor"])
    assert "harvester doctor" in res.output and "database" in res.output  # it ran
    for secret in SECRETS:
        assert secret not in res.output


@pytest.mark.parametrize(
    "path",
    ["/static/../../../../etc/passwd", "/static/..%2f..%2f..%2fetc%2fpasswd",
     "/static/%2e%2e/%2e%2e/pyproject.toml", "/static//etc/passwd"],
)  # fmt: skip
async def test_static_files_do_not_traverse(exposed: tuple[FastAPI, Runtime], path: str) -> None:
    app, _ = exposed
    async with _client(app, ("127.0.0.1", 5000)) as c:
        res = await c.get(path)
    assert res.status_code in (400, 404), (path, res.status_code)
    assert "root:" not in res.text and "[project]" not in res.text
