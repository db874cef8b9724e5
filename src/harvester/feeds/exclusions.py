"""What never becomes an indicator: shorteners and link-in-bio services (they name the
service, not the site), TikTok's own domains, and whatever an analyst allowlists — a
file of domains, one a line, or a Tranco-style ``rank,domain`` CSV."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from harvester.domains.blocklist import DEFAULT_BLOCKLIST
from harvester.domains.hosts import DomainKind, host_kind
from harvester.store.feed_reads import DomainEvidence

T = TypeVar("T", bound=DomainEvidence)


def parse_allowlist(text: str) -> frozenset[str]:
    """Domains of an allowlist: one a line (``#`` comments) or ``rank,domain`` rows
    (Tranco's format; a ``rank,domain`` header is skipped)."""
    out = set()
    for line in text.splitlines():
        item = line.split("#", 1)[0].strip()
        if "," in item:
            first, _, rest = item.partition(",")
            if not first.strip().isdigit():
                continue  # a header such as "rank,domain"
            item = rest.split(",", 1)[0]
        name = item.strip().strip(".").lower()
        if name:
            out.add(name)
    return frozenset(out)


def _parents(name: str) -> Iterator[str]:
    """``a.b.example.com``, ``b.example.com``, ``example.com``, ``com``."""
    labels = name.split(".")
    for i in range(len(labels)):
        yield ".".join(labels[i:])


@dataclass(frozen=True)
class Exclusions:
    """The domains kept out of every feed (an allowlisted name covers its subdomains)."""

    allowlist: frozenset[str] = frozenset()
    platform: frozenset[str] = field(default=DEFAULT_BLOCKLIST)

    def reason(self, d: DomainEvidence) -> str | None:
        """Why ``d`` stays out of the feeds (None: it goes in)."""
        if d.kind != DomainKind.SITE or host_kind(d.name) is not DomainKind.SITE:
            return "shortener or link-in-bio service"
        names = {*_parents(d.name), *_parents(d.ascii_name)}
        if names & self.platform:
            return "TikTok's own domain"
        if names & self.allowlist:
            return "allowlisted"
        return None

    def keep(self, records: Iterable[T]) -> tuple[list[T], int]:
        """The records that become indicators, and how many were left out."""
        kept: list[T] = []
        left_out = 0
        for d in records:
            if self.reason(d) is None:
                kept.append(d)
            else:
                left_out += 1
        return kept, left_out
