"""In a browser: the one search box (domains, videos, comments, runs), the admin page's
log tail, times with their zone, glossary tooltips, and narrow screens."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from harvester.logging_setup import LOG_FILE

from .conftest import ARTIFACTS, Served, shot

pytestmark = pytest.mark.browser


def test_the_search_box_finds_a_domain_and_groups_results(page: Any, served: Served) -> None:
    page.goto(served.url + "/domains")
    name = page.locator("#domains a.domain-link").first.inner_text()
    page.fill("#search-box", name)
    page.press("#search-box", "Enter")
    page.wait_for_url("**/search?q=*")
    assert page.locator("#hit-domains a", has_text=name).count() >= 1
    shot(page, "search-results")
    page.locator("#hit-domains a", has_text=name).first.click()
    page.wait_for_url("**/domains/**")
    assert name in page.locator("h1").inner_text()


def test_the_search_box_finds_a_comment_by_text_and_a_video_by_id(
    page: Any, served: Served
) -> None:
    page.goto(served.url + "/search?q=hostile-1")
    assert page.locator("#hit-comments td", has_text="hostile-1").count() == 1
    video = page.locator("#hit-comments a").first.inner_text()
    page.fill("#search-box", video)
    page.press("#search-box", "Enter")
    page.wait_for_url("**/search?q=*")
    page.locator("#hit-videos a", has_text=video).click()
    page.wait_for_url(f"**/videos/{video}")


def test_the_admin_page_shows_the_log_tail_as_text(page: Any, served: Served) -> None:
    log = served.runtime.settings.data_dir / LOG_FILE
    with log.open("a", encoding="utf-8") as fh:
        fh.write('{"event": "<img src=x onerror=window.__xss=9> e2e log line"}\n')
    page.goto(served.url + "/admin")
    tail = page.locator("#log-tail")
    assert "<img src=x onerror=window.__xss=9> e2e log line" in tail.inner_text()
    assert page.evaluate("window.__xss") is None
    page.locator("#log-lines a", has_text="200 lines").click()
    page.wait_for_url("**/admin?log_lines=200*")
    assert "e2e log line" in page.locator("#log-tail").inner_text()
    tail.scroll_into_view_if_needed()
    shot(page, "admin-log-tail")


def test_times_say_utc_and_show_local_time_on_hover(page: Any, served: Served) -> None:
    page.goto(served.url + "/runs")
    first = page.locator("#runs time").first
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", first.inner_text())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first.get_attribute("datetime") or "")
    assert "your time (" in (first.get_attribute("title") or "")


def test_chart_times_are_24_hour_iso_utc(page: Any, served: Served) -> None:
    page.goto(served.url + "/")
    over = page.locator(".u-over").first
    over.wait_for()
    over.scroll_into_view_if_needed()
    box = over.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    x_cell = page.locator(".u-legend").first.locator(".u-value").first
    expect(x_cell).not_to_have_text("—")
    x_value = x_cell.inner_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", x_value), x_value
    assert "UTC" in page.locator(".u-legend").first.inner_text()
    page.locator("#trend-charts").screenshot(path=str(ARTIFACTS / "trend-charts.png"))


def test_glossary_terms_and_the_enrichment_note(page: Any, served: Served) -> None:
    page.goto(served.url + "/domains")
    mentions = page.locator("#domains [data-term=mentions]")
    assert "distinct comments" in (mentions.get_attribute("title") or "")
    assert page.locator("[data-term=young]").count() >= 1
    page.locator("#domains a.domain-link").first.click()
    page.wait_for_url("**/domains/**")
    note = page.locator("#enrichment-off")
    assert "HARVESTER_DOMAIN_LOOKUPS=true" in note.inner_text()
    shot(page, "domain-enrichment-off")


@pytest.mark.parametrize("path", ["/", "/domains", "/runs", "/admin"])
def test_a_narrow_screen_folds_the_nav_and_scrolls_tables_in_their_box(
    browser: Any, served: Served, path: str
) -> None:
    ctx = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = ctx.new_page()
        page.goto(served.url + path)
        nav = page.locator("#main-nav")
        assert not nav.is_visible()
        page.locator("label.nav-button").click()
        assert nav.is_visible() and page.locator("#main-nav a", has_text="Domains").is_visible()
        page_width = page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= 360, f"{path}: the page is {page_width} px wide"
        wide = page.evaluate(
            "[...document.querySelectorAll('main table')]"
            ".filter(t => t.scrollWidth > t.clientWidth + 1)"
            ".map(t => getComputedStyle(t).overflowX)"
        )
        assert all(o == "auto" for o in wide), wide
        if path == "/domains":
            assert wide, "the domains table is wider than a phone: it scrolls in its box"
        page.locator("label.nav-button").click()
        shot(page, "narrow" + (path.replace("/", "-") if path != "/" else "-overview"))
    finally:
        ctx.close()
