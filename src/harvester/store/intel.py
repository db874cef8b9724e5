"""Domain intelligence in the store: link resolutions and enrichments (DNS, RDAP, HTTP),
each cached until ``expires_at``; every write is an upsert on its natural key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.clock import as_utc
from harvester.store.models import (
    Domain,
    DomainEnrichment,
    DomainMention,
    EnrichmentKind,
    LinkResolution,
    LookupStatus,
)
from harvester.store.upsert import insert_for


@dataclass(frozen=True)
class Resolution:
    """Where one link led: plain values from the resolver, ready to store."""

    url: str
    source_domain: str
    status: LookupStatus
    hops: list[dict[str, Any]]
    final_url: str | None
    final_domain: str | None
    outbound: list[str]  # a link-in-bio page's outbound links (their URLs)
    error: str | None = None


def fresh_resolutions(session: Session, urls: Sequence[str], now: datetime) -> set[str]:
    """Which of ``urls`` have a resolution still inside its TTL."""
    if not urls:
        return set()
    stmt = sa.select(LinkResolution.url).where(
        LinkResolution.url.in_(urls), LinkResolution.expires_at > now
    )
    return set(session.scalars(stmt))


def save_resolution(session: Session, r: Resolution, now: datetime, ttl: timedelta) -> None:
    """Upsert the resolution of ``r.url``."""
    values = {
        "url": r.url,
        "source_domain": r.source_domain,
        "status": r.status.value,
        "chain": {"hops": r.hops, "outbound": r.outbound},
        "final_url": r.final_url,
        "final_domain": r.final_domain,
        "error": r.error,
        "resolved_at": now,
        "expires_at": now + ttl,
    }
    stmt = insert_for(session, LinkResolution.__table__).values(values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["url"], set_={k: v for k, v in values.items() if k != "url"}
        )
    )


def shortener_mentions(
    session: Session, domain_names: Sequence[str], limit: int
) -> list[tuple[str, str, str]]:
    """(url, comment_id, video_id) of mentions with a URL on the given shortener domains."""
    stmt = (
        sa.select(DomainMention.url, DomainMention.comment_id, DomainMention.video_id)
        .join(Domain, Domain.id == DomainMention.domain_id)
        .where(Domain.name.in_(domain_names), DomainMention.url.is_not(None))
        .order_by(DomainMention.id.desc())
        .limit(limit)
    )
    return [(u, c, v) for u, c, v in session.execute(stmt) if u]


def mentions_with_url(session: Session, domain: str, url: str) -> list[dict[str, Any]]:
    """The mentions of ``domain`` that carried ``url`` (by the indexed domain id)."""
    m = DomainMention
    stmt = (
        sa.select(m.comment_id, m.video_id, m.matched, m.span_start, m.span_end)
        .join(Domain, Domain.id == m.domain_id)
        .where(Domain.name == domain, m.url == url)
    )
    return [dict(row) for row in session.execute(stmt).mappings()]


def due_enrichments(
    session: Session, names: Sequence[str], kind: EnrichmentKind, now: datetime
) -> list[tuple[int, str]]:
    """(id, ascii name) of ``names`` whose ``kind`` enrichment is missing or expired."""
    fresh = (
        sa.select(DomainEnrichment.id)
        .where(
            DomainEnrichment.domain_id == Domain.id,
            DomainEnrichment.kind == kind.value,
            DomainEnrichment.expires_at > now,
        )
        .exists()
    )
    stmt = sa.select(Domain.id, Domain.ascii_name).where(Domain.name.in_(names), ~fresh)
    return [(i, n) for i, n in session.execute(stmt.order_by(Domain.id))]


def stale_active(session: Session, since: datetime, now: datetime, limit: int) -> list[str]:
    """Domains mentioned since ``since`` with an enrichment missing or past its TTL."""
    fresh_kinds = (
        sa.select(sa.func.count())
        .select_from(DomainEnrichment)
        .where(DomainEnrichment.domain_id == Domain.id, DomainEnrichment.expires_at > now)
        .scalar_subquery()
    )
    stmt = (
        sa.select(Domain.name)
        .where(Domain.last_seen_at >= since, fresh_kinds < len(EnrichmentKind))
        .order_by(Domain.last_seen_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def save_enrichment(
    session: Session,
    domain_id: int,
    kind: EnrichmentKind,
    status: LookupStatus,
    data: dict[str, Any],
    error: str | None,
    now: datetime,
    ttl: timedelta,
) -> None:
    """Upsert one enrichment of a domain; RDAP also sets the domain's age and registrar."""
    values = {
        "domain_id": domain_id,
        "kind": kind.value,
        "status": status.value,
        "data": data,
        "error": error,
        "fetched_at": now,
        "expires_at": now + ttl,
    }
    stmt = insert_for(session, DomainEnrichment.__table__).values(values)
    keep = ("status", "data", "error", "fetched_at", "expires_at")
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["domain_id", "kind"], set_={k: values[k] for k in keep}
        )
    )
    if kind is EnrichmentKind.RDAP and status is LookupStatus.OK:
        created = data.get("registered_at")
        session.execute(
            sa.update(Domain)
            .where(Domain.id == domain_id)
            .values(
                registered_at=datetime.fromisoformat(created) if created else None,
                registrar=(data.get("registrar") or None),
            )
        )


def evidence(session: Session, domain_id: int, name: str) -> dict[str, Any]:
    """A domain's enrichments by kind and the resolutions from or to it."""
    rows = session.scalars(
        sa.select(DomainEnrichment).where(DomainEnrichment.domain_id == domain_id)
    )
    enrichment = {
        e.kind: {
            "status": e.status,
            "data": e.data,
            "error": e.error,
            "fetched_at": as_utc(e.fetched_at),
        }
        for e in rows
    }
    links = session.scalars(
        sa.select(LinkResolution)
        .where(sa.or_(LinkResolution.source_domain == name, LinkResolution.final_domain == name))
        .order_by(LinkResolution.resolved_at.desc())
        .limit(50)
    )
    resolutions = [
        {
            "url": r.url,
            "source_domain": r.source_domain,
            "status": r.status,
            "final_url": r.final_url,
            "final_domain": r.final_domain,
            "hops": r.chain.get("hops", []),
            "outbound": r.chain.get("outbound", []),
            "error": r.error,
            "resolved_at": as_utc(r.resolved_at),
        }
        for r in links
    ]
    return {"enrichment": enrichment, "resolutions": resolutions}
