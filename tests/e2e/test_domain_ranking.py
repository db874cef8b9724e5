"""Analysts rank and filter domains in the browser (#18.7): the sort menu and the
filters re-draw the list in place (htmx) and keep the URL shareable."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import Served, shot

pytestmark = pytest.mark.browser


def _counts(page: Any, column: int) -> list[int]:
    cells = page.locator(f"#domains tr td:nth-child({column})").all_inner_texts()
    return [int(c.replace("+", "")) for c in cells]


def test_sort_by_mentions_and_filter_by_kind(page: Any, served: Served) -> None:
    page.goto(served.url + "/domains")
    page.select_option("select[name=sort]", "mentions")  # htmx swap, URL pushed
    page.wait_for_url(re.compile(r"sort=mentions"))
    mentions = _counts(page, 3)
    assert len(mentions) > 1 and mentions == sorted(mentions, reverse=True)
    shot(page, "domains-by-mentions")
    page.select_option("select[name=kind]", "site")
    page.wait_for_url(re.compile(r"kind=site"))
    expect(page.locator("#domains .kind-shortener")).to_have_count(0)
    page.click("#pushed-now")
    page.wait_for_url(re.compile(r"sort=growth_day"))
    growth = _counts(page, 5)
    assert growth == sorted(growth, reverse=True)
    assert page.locator("#domains .sig").count() > 0  # every domain is new today here
    shot(page, "domains-pushed-now")
