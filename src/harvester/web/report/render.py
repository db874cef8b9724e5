"""Rendering of ``store.day_report``: HTML (one file, styles inline, hostile comment
text escaped) and CSV (one row per domain and section, formula cells neutralised)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from harvester.kernel.csv_cells import cell

CSV_COLUMNS = (
    "section",
    "domain",
    "kind",
    "signals",
    "mentions_on_day",
    "mentions_total",
    "videos",
    "advertisers",
    "age_days",
    "registrar",
    "first_seen_at",
    "example_comment",
    "video_ids",
    "advertiser_names",
)
_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(report: dict[str, Any]) -> str:
    """The report as one HTML document."""
    return _env.get_template("report.html").render(r=report)


def _row(section: str, d: dict[str, Any]) -> list[Any]:
    ev = d["evidence"]
    first = ev["comments"][0]["text"] if ev["comments"] else ""
    return [
        section,
        d["name"],
        d["kind"],
        " ".join(d["signals"]),
        ev["mentions_on_day"],
        d["mention_count"],
        d["video_count"],
        d["advertiser_count"],
        d["age_days"],
        d["registrar"],
        d["first_seen_at"],
        first,
        " ".join(ev["videos"][:20]),
        "; ".join(ev["advertisers"][:20]),
    ]


def render_csv(report: dict[str, Any]) -> str:
    """The report as CSV: the new domains, then the spiking ones."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for section in ("new", "spiking"):
        for d in report[section]:
            w.writerow([cell(v) for v in _row(section, d)])
    return buf.getvalue()
