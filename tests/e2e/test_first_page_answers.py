"""In a browser: today's top domains and the collection card on the first page, and error
pages inside the layout (never raw JSON)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Served, shot

pytestmark = pytest.mark.browser


def test_the_first_page_lists_todays_top_domains_and_collection(page: Any, served: Served) -> None:
    page.goto(served.url + "/")
    rows = page.locator("#top-domains tr")
    assert 2 <= rows.count() <= 11  # a header, then up to ten domains
    first = page.locator("#top-domains tr").nth(1).locator("a").first
    name = first.inner_text()
    assert "last run" in page.locator("#collection-card").inner_text().lower()
    assert "UTC" in page.locator("#collection-next").inner_text()
    shot(page, "overview-first-answers")
    first.click()
    page.wait_for_url("**/domains/**")
    assert name in page.locator("h1").inner_text()


def test_a_missing_domain_is_a_page_with_a_way_back(page: Any, served: Served) -> None:
    page.goto(served.url + "/domains")
    page.goto(served.url + "/domains/no-such-domain.example")
    assert page.locator("#error-page").get_attribute("data-status") == "404"
    assert '{"detail"' not in page.content()
    page.locator("#error-ways-back a", has_text="domains").click()
    page.wait_for_url("**/domains")
    page.goto(served.url + "/domains?page=abc")
    assert page.locator("#error-page").get_attribute("data-status") == "422"
    assert "page: 'abc' is not a page number" in page.locator("#error-message").inner_text()
    shot(page, "error-422")
