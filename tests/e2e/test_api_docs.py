"""/docs and /redoc render the API from the package's own files under the strict CSP."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ARTIFACTS, Served, shot

pytestmark = pytest.mark.browser


def _requests_stay_local(page: Any, served: Served) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    return urls


def test_swagger_ui_renders_the_operations(page: Any, served: Served) -> None:
    urls = _requests_stay_local(page, served)
    res = page.goto(served.url + "/docs")
    assert res.status == 200
    assert "'unsafe-inline'" not in res.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/domains" in p for p in paths), paths
    assert "TikTok Domain Harvester" in page.locator(".info .title").inner_text()
    shot(page, "api-docs-swagger")
    assert all(u.startswith(served.url) for u in urls), [u for u in urls if served.url not in u]


def test_redoc_renders_the_operations(page: Any, served: Served) -> None:
    urls = _requests_stay_local(page, served)
    res = page.goto(served.url + "/redoc")
    assert res.status == 200
    assert "'unsafe-inline'" not in res.headers["content-security-policy"]
    page.wait_for_selector("[data-section-id^='operation/']", state="attached")
    assert page.locator("[data-section-id^='operation/']").count() > 10
    assert "TikTok Domain Harvester" in page.locator("h1").first.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-docs-redoc.png"))  # the first screen: it is long
    assert all(u.startswith(served.url) for u in urls), [u for u in urls if served.url not in u]
