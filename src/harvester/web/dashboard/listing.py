"""The one way a dashboard list is sorted and paged: a ``ListQuery`` read from the URL
(``sort``, ``dir``, ``page``, ``size``), checked against the list's own allow-list of
sort keys, with the links its headers and pager need.

The sort key only ever selects a column from the store's allow-list (never text into
SQL); an unknown key, direction, page or size is a 422 that names what is allowed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from fastapi import HTTPException, Request

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_SIZE = 50
MAX_PAGE = 1_000_000
DIRECTIONS = ("asc", "desc")
POSITIONS = frozenset({"after", "offset", "cursor", "before"})  # older pagers' params


@dataclass(frozen=True)
class ListQuery:
    """Sort key and direction, page and page size, and (once counted) the total."""

    sort: str
    descending: bool
    page: int = 1
    size: int = DEFAULT_SIZE
    total: int = 0
    path: str = ""
    prefix: str = ""  # a page with two lists names its parameters apart (``dl_sort``)
    kept: tuple[tuple[str, str], ...] = ()  # the page's other parameters (filters)
    defaults: tuple[tuple[str, bool], ...] = ()  # sort key → descending first?

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The position of the first row shown (1-based; 0 when nothing is)."""
        return min(self.offset + 1, self.total) if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    @property
    def sizes(self) -> tuple[int, ...]:
        return PAGE_SIZES

    def counted(self, total: int) -> ListQuery:
        """This query with the number of rows that match its filters."""
        return replace(self, total=total)

    def _name(self, key: str) -> str:
        return self.prefix + key

    def _own(self) -> dict[str, str]:
        return {
            "sort": self.sort,
            "dir": "desc" if self.descending else "asc",
            "page": str(self.page),
            "size": str(self.size),
        }

    def href(self, **changes: str | int) -> str:
        """This list's URL with some of sort/dir/page/size changed (filters kept)."""
        own = {**self._own(), **{k: str(v) for k, v in changes.items()}}
        params = [*self.kept, *((self._name(k), v) for k, v in own.items())]
        return f"{self.path}?{urlencode(params)}"

    def sort_href(self, key: str) -> str:
        """Click a header: sort by it (its natural direction); click again: reverse."""
        if key == self.sort:
            direction = "asc" if self.descending else "desc"
        else:
            direction = "desc" if dict(self.defaults).get(key, False) else "asc"
        return self.href(sort=key, dir=direction, page=1)

    def arrow(self, key: str) -> str:
        if key != self.sort:
            return ""
        return "▼" if self.descending else "▲"

    def aria_sort(self, key: str) -> str:
        if key != self.sort:
            return "none"
        return "descending" if self.descending else "ascending"

    @property
    def prev_href(self) -> str | None:
        return self.href(page=self.page - 1) if self.page > 1 else None

    @property
    def next_href(self) -> str | None:
        return self.href(page=self.page + 1) if self.page < self.pages else None

    def hidden(self, *, without: tuple[str, ...] = ("size", "page")) -> list[tuple[str, str]]:
        """The (name, value) pairs a form must carry to keep this list but ``without``."""
        own = [(self._name(k), v) for k, v in self._own().items() if k not in without]
        return [*self.kept, *own]


def _bad(name: str, value: str, allowed: str) -> HTTPException:
    return HTTPException(422, f"{name}: {value!r} is not one of {allowed}")


def read_list_query(
    request: Request,
    sorts: Mapping[str, bool],
    default: str,
    *,
    prefix: str = "",
    default_size: int = DEFAULT_SIZE,
) -> ListQuery:
    """The list query of ``request``; ``sorts`` maps each allowed key to whether it
    sorts descending first. 422 naming the allowed values for anything else."""
    params = request.query_params
    names = {k: prefix + k for k in ("sort", "dir", "page", "size")}
    sort = params.get(names["sort"]) or default
    if sort not in sorts:
        raise _bad(names["sort"], sort, ", ".join(sorts))
    direction = params.get(names["dir"]) or ""
    if direction and direction not in DIRECTIONS:
        raise _bad(names["dir"], direction, "asc, desc")
    descending = direction == "desc" if direction else sorts[sort]
    page = _whole(names["page"], params.get(names["page"]) or "1", MAX_PAGE)
    size_text = params.get(names["size"]) or str(default_size)
    if size_text not in {str(s) for s in PAGE_SIZES}:
        raise _bad(names["size"], size_text, ", ".join(map(str, PAGE_SIZES)))
    own = set(names.values()) | POSITIONS
    kept = tuple((k, v) for k, v in params.multi_items() if k not in own)
    return ListQuery(
        sort=sort,
        descending=descending,
        page=page,
        size=int(size_text),
        path=request.url.path,
        prefix=prefix,
        kept=kept,
        defaults=tuple(sorts.items()),
    )


def _whole(name: str, value: str, most: int) -> int:
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= most:
        raise HTTPException(422, f"{name}: {value!r} is not a page number from 1 to {most:,}")
    return int(value)


def list_query(
    sorts: Mapping[str, bool], default: str, *, prefix: str = ""
) -> Callable[[Request], ListQuery]:
    """A FastAPI dependency reading one list's query (see ``read_list_query``)."""

    def dependency(request: Request) -> ListQuery:
        return read_list_query(request, sorts, default, prefix=prefix)

    return dependency
