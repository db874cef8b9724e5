"""The list query every dashboard list reads: a header's link sorts by its column in its
natural direction and reverses on the second click; links keep the filters; bad values
are refused naming what is allowed."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi import HTTPException
from starlette.requests import Request

from harvester.web.dashboard.listing import read_list_query

SORTS = {"when": True, "name": False}


def _request(query: str, path: str = "/things") -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": [],
    }
    return Request(scope)


def _params(href: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(href).query))


def test_headers_sort_then_reverse_and_keep_the_filters() -> None:
    lq = read_list_query(_request("q=shop&page=3&cursor=x"), SORTS, "when")
    assert (lq.sort, lq.descending, lq.page, lq.size) == ("when", True, 3, 50)
    again = _params(lq.sort_href("when"))
    assert again == {"q": "shop", "sort": "when", "dir": "asc", "page": "1", "size": "50"}
    other = _params(lq.sort_href("name"))
    assert other["sort"] == "name" and other["dir"] == "asc"  # names read A→Z first
    assert (lq.arrow("when"), lq.arrow("name")) == ("▼", "")
    assert lq.aria_sort("when") == "descending"


def test_totals_pages_and_the_pager_links() -> None:
    lq = read_list_query(_request("size=25&page=2"), SORTS, "when").counted(60)
    assert (lq.pages, lq.first, lq.last, lq.offset) == (3, 26, 50, 25)
    assert _params(lq.prev_href or "")["page"] == "1"
    assert _params(lq.next_href or "")["page"] == "3"
    last = read_list_query(_request("size=25&page=3"), SORTS, "when").counted(60)
    assert last.next_href is None and (last.first, last.last) == (51, 60)
    empty = read_list_query(_request(""), SORTS, "when").counted(0)
    assert (empty.first, empty.last, empty.pages, empty.prev_href, empty.next_href) == (
        0,
        0,
        1,
        None,
        None,
    )


def test_a_prefix_names_a_second_list_apart() -> None:
    lq = read_list_query(_request("dl_sort=name&al_page=2"), SORTS, "when", prefix="dl_")
    assert lq.sort == "name" and not lq.descending
    assert _params(lq.next_href or "?") == {}  # one page only
    assert ("al_page", "2") in lq.hidden()  # the other list stays where it was
    assert _params(lq.sort_href("name"))["dl_dir"] == "desc"


@pytest.mark.parametrize(
    ("query", "named", "allowed"),
    [
        ("sort=id; DROP TABLE x", "sort", "when, name"),
        ("dir=up", "dir", "asc, desc"),
        ("size=51", "size", "25, 50, 100, 200"),
        ("page=0", "page", "1 to"),
        ("page=two", "page", "1 to"),
    ],
)
def test_bad_values_are_refused_naming_the_allowed_ones(
    query: str, named: str, allowed: str
) -> None:
    with pytest.raises(HTTPException) as caught:
        read_list_query(_request(query), SORTS, "when")
    assert caught.value.status_code == 422
    assert str(caught.value.detail).startswith(named + ":") and allowed in caught.value.detail
