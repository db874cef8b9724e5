"""Events of domain intelligence: links to resolve (one event per shortener host, so
concurrency and throttle keys are per host) and domains to enrich (one per domain)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import inngest
from pydantic import BaseModel, ConfigDict, Field

from harvester.domains.hosts import DomainKind, host_kind

RESOLVE_REQUESTED = "domain/links.resolve.requested"
ENRICH_REQUESTED = "domain/enrich.requested"
MAX_URLS_PER_EVENT = 20


class ResolveRequested(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(..., min_length=3, max_length=255, pattern=r"^[^\s/]+$")
    urls: list[str] = Field(..., min_length=1, max_length=MAX_URLS_PER_EVENT)


class EnrichRequested(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    domain: str = Field(..., min_length=3, max_length=255, pattern=r"^[^\s/]+$")


def resolve_events(links: Iterable[tuple[str, str | None]]) -> list[inngest.Event]:
    """(domain, url) pairs → one event per shortener/link-in-bio domain, chunked."""
    by_host: dict[str, list[str]] = {}
    for domain, url in links:
        if url and host_kind(domain) is not DomainKind.SITE:
            urls = by_host.setdefault(domain, [])
            if url not in urls:
                urls.append(url)
    events = []
    for host, urls in sorted(by_host.items()):
        for i in range(0, len(urls), MAX_URLS_PER_EVENT):
            chunk = urls[i : i + MAX_URLS_PER_EVENT]
            events.append(inngest.Event(name=RESOLVE_REQUESTED, data={"host": host, "urls": chunk}))
    return events


def enrich_events(domains: Sequence[str]) -> list[inngest.Event]:
    """One enrichment event per domain (DNS, RDAP and HTTP all listen to it)."""
    return [inngest.Event(name=ENRICH_REQUESTED, data={"domain": d}) for d in sorted(set(domains))]
