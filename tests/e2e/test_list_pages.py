"""In a browser: a list's header sorts it and a second click reverses the order the
user sees; the total matches the API's; previous/next and the page size move through
the rows; an unknown sort key is a 422 page. And "Collect now" on the first page ends
on the run's summary."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import Served, shot

pytestmark = pytest.mark.browser


def _column(page: Any, table: str, index: int) -> list[str]:
    return [
        t.strip()
        for t in page.locator(f"#{table} tbody tr td:nth-child({index})").all_inner_texts()
    ]


def _ids(page: Any, table: str) -> list[str]:
    return [str(r.get_attribute("data-id")) for r in page.locator(f"#{table} tbody tr").all()]


def _total(page: Any, pager: str = "#pager") -> int:
    return int(page.locator(f"{pager} .total").get_attribute("data-total"))


def test_a_header_sorts_and_a_second_click_reverses(page: Any, served: Served) -> None:
    page.goto(served.url + "/domains?size=200")
    total = _total(page)
    api = page.request.get(served.url + "/api/v1/domains?limit=1").json()["total"]
    assert total == api > 1
    assert f"{total:,} domains" in page.locator("#pager .total").inner_text()
    page.locator('#domains th a[data-sort="mentions"]').click()
    page.wait_for_url(re.compile(r".*sort=mentions&dir=desc.*"))
    names = _column(page, "domains", 1)
    counts = [int(c) for c in _column(page, "domains", 3)]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    assert page.locator('#domains th[aria-sort="descending"]').count() == 1
    page.locator('#domains th a[data-sort="mentions"]').click()
    page.wait_for_url(re.compile(r".*sort=mentions&dir=asc.*"))
    assert [int(c) for c in _column(page, "domains", 3)] == list(reversed(counts))
    assert _column(page, "domains", 1) == list(reversed(names))  # every row, reversed
    shot(page, "domains-sorted")


def test_previous_next_and_page_size(page: Any, served: Served) -> None:
    page.goto(served.url + "/comments?size=25")
    total = _total(page)
    assert total > 25, "the cycle harvests more comments than one page holds"
    first = _ids(page, "comments")
    assert len(first) == 25 and page.locator("#pager .prev[aria-disabled]").count() == 1
    page.locator('#pager a[rel="next"]').click()
    page.wait_for_url(re.compile(r".*page=2.*"))
    second = _ids(page, "comments")
    assert len(second) == min(25, total - 25) and not set(second) & set(first)
    assert "26–" in page.locator("#pager .shown").inner_text()
    page.locator('#pager a[rel="prev"]').click()
    page.wait_for_url(re.compile(r".*page=1.*"))
    assert _ids(page, "comments") == first
    page.locator("#pager select").select_option("50")  # applies at once
    page.wait_for_url(re.compile(r".*size=50.*"))
    assert len(_ids(page, "comments")) == min(50, total)
    assert _total(page) == total


def test_an_unknown_sort_key_is_a_422_page(page: Any, served: Served) -> None:
    res = page.goto(served.url + "/videos?sort=advertiser_name%20desc")
    assert res is not None and res.status == 422
    body = page.locator("main, body").first.inner_text()
    assert "sort" in body and "advertiser" in body and "discovered" in body
    assert "ORDER BY" not in body.upper() and "Traceback" not in body


def test_collect_now_ends_on_the_runs_summary(page: Any, served: Served) -> None:
    page.goto(served.url + "/")
    page.locator("#collect-now button").click()
    page.wait_for_url("**/collect?since=*")
    # The page refreshes itself until the run ends: wait for that, not for a time.
    summary = page.locator("#collect-summary")
    expect(summary).to_contain_text(re.compile(r"ads \d+ · videos \d+"), timeout=90_000)
    assert page.locator("#collect-run .badge").inner_text() == "COMPLETED"
    run_link = page.locator("#collect-run a.mono")
    run_id = run_link.inner_text()
    assert served.runtime.engine is not None
    assert served.runtime.engine.get_run(run_id).status == "COMPLETED"
    found = re.search(r"harvests requested (\d+)", summary.inner_text())
    assert found is not None
    # A cycle that requests no harvest says why (the same ads as the first cycle).
    assert int(found.group(1)) > 0 or "Found nothing new" in page.inner_text("#collect-run")
    shot(page, "collect-now")
    served.run(served.runtime.engine.wait_for_idle(timeout=90), timeout=120)
