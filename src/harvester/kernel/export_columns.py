"""The one column set of domain exports: the web's CSV/JSON export and
``harvester domains --format csv|json`` write the same columns in the same order, and
both let the reader choose some of them (``?columns=a,b`` / ``--columns a,b``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from harvester.kernel.csv_cells import cell

DOMAIN_EXPORT_COLUMNS = (
    "name",
    "ascii_name",
    "first_seen_at",
    "last_seen_at",
    "mention_count",
    "kind",
    "video_count",
    "advertiser_count",
    "mentions_today",
    "growth_day",
    "growth_week",
    "registered_at",
    "age_days",
    "registrar",
    "blocklisted",
    "signals",
)
FLUSH_EVERY = 500  # rows per streamed chunk


class UnknownColumns(ValueError):
    """A column list naming columns the export does not have (the message lists them)."""


def pick_columns(text: str | None) -> tuple[str, ...]:
    """``"name,mention_count"`` → those columns in that order; empty → every column;
    UnknownColumns naming the unknown ones and the allowed ones otherwise."""
    if text is None or not text.strip():
        return DOMAIN_EXPORT_COLUMNS
    wanted = tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    unknown = [c for c in wanted if c not in DOMAIN_EXPORT_COLUMNS]
    if unknown or not wanted:
        raise UnknownColumns(
            f"unknown column(s): {', '.join(unknown) or '(none given)'}; "
            f"allowed: {', '.join(DOMAIN_EXPORT_COLUMNS)}"
        )
    return wanted


def _flat(value: Any) -> Any:
    return " ".join(value) if isinstance(value, list) else value


def csv_cells(row: dict[str, Any], columns: Iterable[str]) -> list[Any]:
    """One domain's CSV cells: lists as words, dates as ISO text, formulas kept text."""
    return [cell(_flat(row[c])) for c in columns]


def csv_chunks(rows: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> Iterator[str]:
    """The CSV text of ``rows`` (header first), in chunks of ``FLUSH_EVERY`` rows."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for i, row in enumerate(rows):
        writer.writerow(csv_cells(row, columns))
        if i % FLUSH_EVERY == FLUSH_EVERY - 1:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
