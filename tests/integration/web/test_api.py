"""The JSON API: schema-driven fuzzing, admin token off loopback, export formats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.web.app import create_app


def _app(tmp_path: Path, **settings: Any) -> FastAPI:
    runtime = build_runtime(Settings(data_dir=tmp_path, **settings))
    return create_app(runtime, start_engine=False)


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = _app(tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c
    await app.state.runtime.aclose()


async def test_openapi_documents_the_harvester_and_run_apis(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for p in ("/api/v1/domains", "/api/v1/kill-switch", "/api/v1/runs", "/api/v1/overview"):
        assert p in paths


async def test_domains_export_csv_and_bad_format(client: httpx.AsyncClient) -> None:
    res = await client.get("/api/v1/domains", params={"format": "csv"})
    assert res.status_code == 200 and res.text.startswith("name,ascii_name")
    assert (await client.get("/api/v1/domains", params={"format": "xml"})).status_code == 422


async def test_security_headers(client: httpx.AsyncClient) -> None:
    res = await client.get("/")
    assert "script-src 'self'" in res.headers["content-security-policy"]
    assert res.headers["x-frame-options"] == "DENY"


async def test_off_loopback_the_api_needs_the_admin_token(tmp_path: Path) -> None:
    app = _app(tmp_path, host="0.0.0.0", admin_token="s3cret")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/api/v1/domains")).status_code == 401
        ok = await c.get("/api/v1/domains", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        bad = await c.post(
            "/api/v1/kill-switch", json={"on": True}, headers={"Authorization": "Bearer wrong"}
        )
        assert bad.status_code == 401
    await app.state.runtime.aclose()


def test_schemathesis_finds_no_server_errors(tmp_path: Path) -> None:
    import schemathesis
    from schemathesis.checks import not_a_server_error

    app = _app(tmp_path)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    ops = list(schema.get_all_operations())
    assert ops
    failures = []
    for result in ops:
        op = result.ok()
        if op.method.upper() != "GET":
            continue

        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def check(case: Any) -> None:
            response = case.call()
            case.validate_response(response, checks=(not_a_server_error,))

        try:
            check()
        except Exception as exc:  # collect all, report together
            failures.append(f"{op.method} {op.path}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures)
