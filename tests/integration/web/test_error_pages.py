"""No browser page shows raw JSON: 404, 422 and 500 are pages in the dashboard's layout
with what went wrong and a way back; the JSON API and other clients keep JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.web.app import create_app

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    runtime = build_runtime(Settings(data_dir=tmp_path))
    a = create_app(runtime, start_engine=False)

    @a.get("/boom-for-test")
    def boom() -> None:
        raise RuntimeError("a bug")

    yield a
    await runtime.aclose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


async def test_a_missing_domain_is_a_page_with_a_way_back(client: httpx.AsyncClient) -> None:
    res = await client.get(
        "/domains/nowhere.example", headers={**HTML, "referer": "http://127.0.0.1/domains?q=x"}
    )
    assert res.status_code == 404
    assert res.headers["content-type"].startswith("text/html")
    assert 'id="error-page"' in res.text and 'id="main-nav"' in res.text  # in the layout
    assert "nowhere.example" in res.text
    assert 'href="/domains?q=x"' in res.text and 'href="/"' in res.text
    assert '{"detail"' not in res.text


async def test_an_unknown_page_is_a_404_page(client: httpx.AsyncClient) -> None:
    res = await client.get("/no-such-page", headers=HTML)
    assert res.status_code == 404 and 'data-status="404"' in res.text


async def test_a_bad_parameter_is_a_422_page_naming_it(client: httpx.AsyncClient) -> None:
    res = await client.get("/domains", params={"page": "abc"}, headers=HTML)
    assert res.status_code == 422 and res.headers["content-type"].startswith("text/html")
    assert "page:" in res.text and "&#39;abc&#39;" in res.text
    assert "[{" not in res.text  # no pydantic error list
    res = await client.get("/videos", params={"after": "1", "offset": "x"}, headers=HTML)
    assert res.status_code == 200  # the old pagers' links still open the list


async def test_a_server_error_is_a_500_page(client: httpx.AsyncClient) -> None:
    res = await client.get("/boom-for-test", headers=HTML)
    assert res.status_code == 500 and 'data-status="500"' in res.text
    assert "a bug" not in res.text  # the cause is in the log, not shown


async def test_the_json_api_keeps_json(client: httpx.AsyncClient) -> None:
    res = await client.get("/api/v1/domains/nowhere.example", headers=HTML)
    assert res.status_code == 404 and res.json()["detail"]
    res = await client.get("/api/v1/domains", params={"after": "abc"}, headers=HTML)
    assert res.status_code == 422 and isinstance(res.json()["detail"], list)
    res = await client.get("/no-such-page")  # a client that does not ask for HTML
    assert res.status_code == 404 and res.json() == {"detail": "Not Found"}
    res = await client.get("/boom-for-test")
    assert res.status_code == 500 and "server log" in res.json()["detail"]


async def test_a_punycode_domain_address_leads_to_its_page(app: FastAPI) -> None:
    from harvester.clock import utcnow
    from harvester.store.domains import ensure_domains

    with app.state.runtime.db.session() as s:
        ensure_domains(s, {"españa-ofertas.es": "xn--espaa-ofertas-lkb.es"}, utcnow(), frozenset())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        res = await c.get("/domains/xn--espaa-ofertas-lkb.es", headers=HTML, follow_redirects=True)
    assert res.status_code == 200 and "españa-ofertas.es" in res.text
