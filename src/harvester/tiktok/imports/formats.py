"""The formats we read and what a reader of one is: a test of whether a row has the
format's shape (``missing``: the fields it lacks) and the mapping of a row that does."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any, ClassVar

from harvester.tiktok.imports.containers import Container
from harvester.tiktok.imports.records import Outcome


class ImportFormat(enum.StrEnum):
    ZEESCHUIMER = "zeeschuimer"
    FOURCAT = "4cat"
    TIKTOKAPI = "tiktokapi"
    APIFY = "apify"
    YTDLP = "yt-dlp"
    COLUMNS = "columns"  # our own documented columns (docs/import.md)


JSON_CONTAINERS = frozenset({Container.NDJSON, Container.JSON_ARRAY, Container.JSON_DOCUMENT})
TEXT_CONTAINERS = JSON_CONTAINERS | {Container.CSV}
ALL_CONTAINERS = frozenset(Container)  # with XLSX: only Apify offers a workbook download


class Reader:
    """One format. Subclasses set the class attributes and implement both methods."""

    format: ClassVar[ImportFormat]
    title: ClassVar[str]  # as people call it: "Zeeschuimer NDJSON"
    containers: ClassVar[frozenset[Container]] = JSON_CONTAINERS

    def missing(self, row: Any) -> list[str]:
        """The fields ``row`` lacks to be one of this format's rows ([]: it is one)."""
        raise NotImplementedError

    def read(self, row: dict[str, Any], line: int) -> Iterable[Outcome]:
        """The videos, comments and skips of a recognised row; RowError when a field is
        bad (the caller turns it into a skip naming the line)."""
        raise NotImplementedError


def lacking(row: Any, required: Iterable[str], one_of: Iterable[str] = ()) -> list[str]:
    """``required`` keys absent from ``row``, plus ``a|b|c`` when none of ``one_of`` is
    there; a row that is not an object lacks everything."""
    if not isinstance(row, dict):
        return ["an object"]
    out = [k for k in required if k not in row]
    alternatives = list(one_of)
    if alternatives and not any(k in row for k in alternatives):
        out.append("|".join(alternatives))
    return out
