"""The dashboard in a real browser, against a database filled by a real pipeline run."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from .conftest import shot

PAGES = ["/", "/runs", "/functions", "/events", "/domains", "/videos", "/comments", "/admin"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders(page: Any, served: str, path: str) -> None:
    res = page.goto(served + path)
    assert res.status == 200
    assert page.locator("header .brand").inner_text() == "TikTok Domain Harvester"
    shot(page, "page" + (path.replace("/", "-") if path != "/" else "-overview"))


def test_click_run_then_step_then_domain(page: Any, served: str) -> None:
    page.goto(served + "/runs?fn=tiktok-harvester-extract-domains&status=COMPLETED")
    page.locator("a.run-link").first.click()
    assert page.locator("#steps .step-row").count() >= 1
    assert "COMPLETED" in page.locator("h1").inner_text()
    shot(page, "run-detail")
    page.goto(served + "/domains")
    page.locator("a.domain-link").first.click()
    assert page.locator("#mentions mark").count() >= 1  # the matched text is highlighted
    shot(page, "domain-detail")


def test_send_event_from_the_page_starts_a_run(page: Any, served: str) -> None:
    page.goto(served + "/events")
    page.fill("input[name=name]", "system.health.requested")
    page.fill("textarea[name=data]", '{"from": "browser"}')
    page.click("#send-form button")
    assert page.locator("#sent").is_visible()
    for _ in range(50):
        page.reload()
        row = page.locator("#events tr", has_text="system.health.requested").first
        if "health-check" in row.inner_text():
            break
        page.wait_for_timeout(200)
    assert "health-check" in row.inner_text()
    shot(page, "event-sent")


def test_invalid_event_json_is_refused_with_a_message(page: Any, served: str) -> None:
    page.goto(served + "/events")
    page.fill("input[name=name]", "x/y")
    page.fill("textarea[name=data]", "{not json")
    page.click("#send-form button")
    assert "Expecting property name" in page.locator("#send-error").inner_text()


def test_flip_the_kill_switch(page: Any, served: str) -> None:
    page.goto(served + "/admin")
    assert "off" in page.locator("#kill-switch-state").inner_text()
    page.fill("#kill-form input[name=reason]", "maintenance")
    page.click("#kill-form button")
    assert "ON" in page.locator("#kill-switch-state").inner_text()
    assert httpx.get(served + "/api/v1/kill-switch").json()["on"] is True
    shot(page, "kill-switch-on")
    page.click("#kill-form button")
    assert "off" in page.locator("#kill-switch-state").inner_text()


def test_hostile_comment_is_shown_escaped(page: Any, served: str) -> None:
    page.goto(served + "/comments?q=script")
    cell = page.locator(".comment-text", has_text="window.__xss").first
    assert "<script>" in cell.inner_text()  # shown as text, not run
    assert page.evaluate("window.__xss") is None
    shot(page, "xss-escaped")


def test_forms_without_csrf_token_are_refused(served: str) -> None:
    res = httpx.post(served + "/admin/kill-switch", data={"on": "1"})
    assert res.status_code == 403 and re.search("CSRF", res.text)
