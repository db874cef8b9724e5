"""Sorting a list page in SQL: a sort key picks a column from the list's allow-list
(never text into the query), a tie-breaker keeps pages stable, and unknown values go
last in both directions on SQLite and Postgres."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class UnknownSort(ValueError):
    """A sort key that is not in the list's allow-list."""


def order_by(
    stmt: Any, columns: Mapping[str, Any], key: str, descending: bool, tiebreak: Any
) -> Any:
    """``stmt`` ordered by ``columns[key]`` then ``tiebreak``, both in one direction."""
    if key not in columns:
        raise UnknownSort(f"sort {key!r} is not one of {', '.join(columns)}")
    col = columns[key]
    first = (col.desc() if descending else col.asc()).nulls_last()
    return stmt.order_by(first, tiebreak.desc() if descending else tiebreak.asc())
