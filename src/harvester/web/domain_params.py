"""The domain list's filters and order, read once from a query string for both the
JSON API and the dashboard (same names, same validation).

An empty value means "no filter": the dashboard's form sends every field, filled or not.
"""

from __future__ import annotations

from datetime import date

from fastapi import HTTPException, Query, Request

from harvester.clock import utcnow
from harvester.domains.hosts import DomainKind
from harvester.store.domain_list import DomainQuery, DomainSort

MAX_MIN = 1_000_000_000
_SORTS = ", ".join(s.value for s in DomainSort)
_KINDS = ", ".join(k.value for k in DomainKind)


def _bad(field: str, message: str) -> HTTPException:
    return HTTPException(422, f"{field}: {message}")


def _choice(field: str, value: str | None, enum: type[DomainSort] | type[DomainKind]) -> object:
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        options = _SORTS if enum is DomainSort else _KINDS
        raise _bad(field, f"{value!r} is not one of {options}") from None


def _day(field: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(field, f"{value!r} is not a day as YYYY-MM-DD") from None


def _least(field: str, value: str | None) -> int:
    if not value:
        return 0
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_MIN:
        raise _bad(field, f"{value!r} is not a whole number from 0 to {MAX_MIN}")
    return int(value)


def domain_query(
    request: Request,
    q: str | None = Query(None, max_length=200, description="Substring of the name."),
    new_today: bool = Query(False, description="Only domains first seen today (UTC)."),
    sort: str | None = Query(
        None,
        max_length=20,
        description=f"One of {_SORTS} (default newest; growth_day and growth_week are the "
        "'pushed now' views; youngest orders by registration date).",
    ),
    direction: str | None = Query(
        None,
        alias="dir",
        max_length=4,
        description="asc or desc (default desc: most first, newest first; asc for name).",
    ),
    kind: str | None = Query(None, max_length=20, description=f"One of {_KINDS}."),
    young: bool = Query(False, description="Only domains registered recently (RDAP)."),
    spiking: bool = Query(False, description="Only domains whose mentions spike today."),
    pushed: bool = Query(False, description="Only domains pushed by many advertisers/videos."),
    blocklisted: bool = Query(False, description="Only domains on the configured blocklist."),
    min_mentions: str | None = Query(None, max_length=12, description="At least this many."),
    min_videos: str | None = Query(None, max_length=12, description="Distinct videos, at least."),
    min_advertisers: str | None = Query(None, max_length=12, description="Advertisers, at least."),
    since: str | None = Query(None, max_length=10, description="Mentioned on/after YYYY-MM-DD."),
    until: str | None = Query(None, max_length=10, description="Mentioned on/before YYYY-MM-DD."),
) -> DomainQuery:
    """A ``DomainQuery`` from the request; 422 naming the field when a value is wrong."""
    start, end = _day("since", since), _day("until", until)
    order = _choice("sort", sort, DomainSort) or DomainSort.NEWEST
    if start and end and start > end:
        raise _bad("since", f"{start} is after until ({end}): swap them")
    return DomainQuery(
        q=q or None,
        new_today=new_today,
        kind=_choice("kind", kind, DomainKind),  # type: ignore[arg-type]
        young=young,
        spiking=spiking,
        pushed=pushed,
        blocklisted=blocklisted,
        min_mentions=_least("min_mentions", min_mentions),
        min_videos=_least("min_videos", min_videos),
        min_advertisers=_least("min_advertisers", min_advertisers),
        since=start,
        until=end,
        sort=order,  # type: ignore[arg-type]
        descending=_descending(direction, order),
        thresholds=request.app.state.runtime.settings.thresholds,
    )


def _descending(value: str | None, order: object) -> bool:
    if value and value not in ("asc", "desc"):
        raise _bad("dir", f"{value!r} is not one of asc, desc")
    return value == "desc" if value else order is not DomainSort.NAME


def report_day(value: str | None) -> date:
    """The day of a report: ``YYYY-MM-DD``, today (UTC) when empty; 422 otherwise."""
    return _day("day", value) or utcnow().date()
