"""Plain lists for blockers and DNS firewalls: one domain a line (``domains.txt``), and a
CSV with each domain's signals and evidence."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from harvester.feeds.meta import confidence
from harvester.feeds.stix import stamp
from harvester.store.feed_reads import DomainEvidence

CSV_COLUMNS = (
    "domain",
    "unicode",
    "first_seen",
    "last_seen",
    "mentions",
    "videos",
    "advertisers",
    "signals",
    "confidence",
    "video_urls",
    "resolved_links",
)


def _unique(records: Iterable[DomainEvidence]) -> list[DomainEvidence]:
    by_name = {d.ascii_name: d for d in records}
    return [by_name[n] for n in sorted(by_name)]


def build_txt(records: Iterable[DomainEvidence]) -> bytes:
    """One ASCII (IDNA) domain a line, sorted, nothing else: what DNS blockers read."""
    return "".join(f"{d.ascii_name}\n" for d in _unique(records)).encode()


def build_csv(records: Iterable[DomainEvidence]) -> bytes:
    """A header and one row a domain; lists inside a cell are space-separated."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    for d in _unique(records):
        out.writerow(
            (
                d.ascii_name,
                d.name,
                stamp(d.first_seen_at),
                stamp(max(d.last_seen_at, d.first_seen_at)),
                d.mention_count,
                d.video_count,
                d.advertiser_count,
                " ".join(d.signals),
                confidence(d.signals),
                " ".join(d.video_urls),
                " ".join(f"{r.url}>{r.final_url}" for r in d.resolved_links),
            )
        )
    return buf.getvalue().encode()
