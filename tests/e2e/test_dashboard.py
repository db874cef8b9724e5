"""The dashboard in a real browser, against a database filled by a real pipeline run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import HOSTILE_DOMAIN, Served, shot

pytestmark = pytest.mark.browser

PAGES = ["/", "/runs", "/functions", "/events", "/domains", "/videos", "/comments", "/admin"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders(page: Any, served: Served, path: str) -> None:
    res = page.goto(served.url + path)
    assert res.status == 200
    assert page.locator("header .brand").inner_text() == "TikTok Domain Harvester"
    assert page.locator("header nav a.active").count() == 1
    shot(page, "page" + (path.replace("/", "-") if path != "/" else "-overview"))


def test_overview_draws_time_series_from_the_api(page: Any, served: Served) -> None:
    page.goto(served.url + "/")
    trends = page.locator("#trend-charts .chart[data-drawn]")  # uPlot drew /api/v1/overview
    expect(trends).to_have_count(3)
    assert int(page.locator("#new-today").inner_text()) > 0
    shot(page, "overview-charts")


def test_detail_pages_render(page: Any, served: Served) -> None:
    page.goto(served.url + "/functions")
    page.locator("#functions a").first.click()
    assert page.locator("#fn-config").is_visible()
    assert "retries" in page.locator("#fn-config").inner_text().lower()
    shot(page, "function-detail")
    page.goto(served.url + "/videos")
    page.locator("#videos tbody a").first.click()
    assert page.locator("#video-comments tr").count() > 1
    shot(page, "video-detail")


def test_click_run_then_step_then_domain(page: Any, served: Served) -> None:
    page.goto(served.url + "/runs")
    page.select_option("select[name=fn]", "tiktok-harvester-extract-domains")  # htmx swap
    page.wait_for_url(re.compile(r"fn=tiktok-harvester-extract-domains"))
    expect(page.locator("#runs a.run-link").first).to_be_visible()
    assert set(page.locator("#runs td.fn").all_inner_texts()) == {
        "tiktok-harvester-extract-domains"
    }
    shot(page, "runs-filtered")
    page.goto(served.url + "/runs?fn=tiktok-harvester-extract-domains&status=COMPLETED")
    page.locator("a.run-link").last.click()  # the oldest run found the domains first
    assert "COMPLETED" in page.locator("h1").inner_text()
    page.locator("svg.waterfall a").first.click()  # waterfall bar → step row
    step = page.locator("#steps .step-row").first
    step.locator("details.step-output summary").click()
    assert step.locator("details.step-output pre").is_visible()
    shot(page, "run-detail")
    domain = step.locator(".step-domains a").first
    name = domain.inner_text()
    domain.click()
    assert page.locator("h1").inner_text() == name
    assert page.locator("#mentions mark").count() >= 1  # the matched text is highlighted
    shot(page, "domain-detail")
    page.locator("#domain-videos a").first.click()
    assert page.locator("#video-comments mark").count() >= 1


def test_send_event_from_the_page_starts_a_run(page: Any, served: Served) -> None:
    page.goto(served.url + "/events")
    page.locator("#send-box summary").click()
    page.fill("input[name=name]", "system.health.requested")
    page.fill("textarea[name=data]", '{"from": "browser"')
    assert "invalid JSON" in page.locator("#json-status").inner_text()
    assert page.locator("#send-button").is_disabled()  # the editor refuses bad JSON
    page.fill("textarea[name=data]", '{"from": "browser"}')
    page.click("#format-json")
    assert page.locator("textarea[name=data]").input_value() == '{\n  "from": "browser"\n}'
    page.click("#send-button")
    assert page.locator("#sent").is_visible()
    row = page.locator("#events tr", has_text="system.health.requested").first
    for _ in range(50):
        if "health-check" in row.inner_text():
            break
        page.wait_for_timeout(200)
        page.reload()
        row = page.locator("#events tr", has_text="system.health.requested").first
    assert "health-check" in row.inner_text()
    shot(page, "event-sent")
    row.locator("a", has_text="health-check").first.click()
    assert page.locator("#run-event").inner_text().count("browser") == 1


def test_server_refuses_a_bad_event_without_javascript(browser: Any, served: Served) -> None:
    ctx = browser.new_context(java_script_enabled=False)
    p = ctx.new_page()
    p.goto(served.url + "/events")
    p.locator("#send-box summary").click()
    p.fill("input[name=name]", "x/y")
    p.fill("textarea[name=data]", "[1, 2]")
    p.click("#send-button")
    assert "data must be an object" in p.locator("#send-error").inner_text()
    p.fill("input[name=name]", "inngest/function.failed")
    p.fill("textarea[name=data]", "{}")
    p.click("#send-button")
    assert "reserved" in p.locator("#send-error").inner_text()
    ctx.close()


def test_flip_the_kill_switch(page: Any, served: Served) -> None:
    page.goto(served.url + "/admin")
    assert "off" in page.locator("#kill-switch-state").inner_text()
    page.fill("#kill-form input[name=reason]", "maintenance window")
    page.click("#kill-form button")  # the confirm dialog is accepted
    assert "ON" in page.locator("#kill-switch-state").inner_text()
    assert "maintenance window" in page.locator("#kill-switch-state").inner_text()
    assert httpx.get(served.url + "/api/v1/kill-switch").json()["on"] is True
    shot(page, "kill-switch-on")
    page.goto(served.url + "/")
    assert page.locator("#kill-state").inner_text() == "ON"
    page.goto(served.url + "/admin")
    page.click("#kill-form button")
    assert "off" in page.locator("#kill-switch-state").inner_text()
    assert httpx.get(served.url + "/api/v1/kill-switch").json()["on"] is False


def test_replay_a_dead_letter(page: Any, served: Served) -> None:
    page.goto(served.url + "/admin?status=pending")
    row = page.locator("#dead-letters tr", has_text="simulated").first
    assert "<b>simulated</b>" in row.inner_text()  # shown as text
    row.locator("button", has_text="Replay").click()
    assert "replayed 1" in page.locator("#done").inner_text()
    page.goto(served.url + "/admin?status=replayed")
    assert page.locator("#dead-letters tr", has_text="simulated").count() == 1
    shot(page, "admin-after-replay")


def test_hostile_comment_is_shown_escaped(page: Any, served: Served) -> None:
    for path in ("/comments?q=__xss", f"/domains/{HOSTILE_DOMAIN}", "/admin"):
        page.goto(served.url + path)
        assert page.evaluate("window.__xss") is None, path
        assert page.locator("main script, main img, main svg[onload]").count() == 0, path
    page.goto(served.url + "/comments?q=__xss")
    cell = page.locator(".comment-text", has_text="window.__xss").first
    assert "<script>" in cell.inner_text()  # shown as text, not run
    shot(page, "xss-escaped")
    page.goto(served.url + f"/domains/{HOSTILE_DOMAIN}")
    assert page.locator("#mentions mark").first.inner_text() == HOSTILE_DOMAIN
    assert "<img src=x" in page.locator("#mentions .comment-text").first.inner_text()
    shot(page, "xss-domain")


def test_domain_search_and_export(page: Any, served: Served) -> None:
    page.goto(served.url + "/domains")
    page.fill("#domain-q", "hostile")
    expect(page.locator("#domains a.domain-link")).to_have_count(1)  # htmx, as you type
    assert page.locator("a.domain-link").inner_text() == HOSTILE_DOMAIN
    with page.expect_download() as dl:
        page.click("#export-csv")
    text = Path(dl.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("name,") and HOSTILE_DOMAIN in text
    assert len(text.splitlines()) == 2
    shot(page, "domains-search")


def test_forms_without_csrf_token_or_from_another_site_are_refused(served: Served) -> None:
    res = httpx.post(served.url + "/admin/kill-switch", data={"on": "1"})
    assert res.status_code == 403 and re.search("CSRF", res.text)
    evil = httpx.post(
        served.url + "/api/v1/dead-letters/replay", headers={"Origin": "http://evil.example"}
    )
    assert evil.status_code == 403
    assert httpx.get(served.url + "/api/v1/kill-switch").json()["on"] is False
