"""Ads, their links to posts (rule, confidence) and their own outbound domains; the
video's harvest outcome when its comments cannot be read. Idempotent upserts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.clock import as_utc
from harvester.store.domains import ensure_domains
from harvester.store.models import (
    AdDomain,
    AdVideoLink,
    Domain,
    HarvestStatus,
    LinkStatus,
    PromotedAd,
    Video,
)
from harvester.store.upsert import insert_for


def upsert_ads(session: Session, rows: Sequence[dict[str, Any]], now: datetime) -> list[str]:
    """Insert ads not seen before; returns the ids still to link (new or never linked)."""
    if not rows:
        return []
    # One row per ad: Postgres refuses an INSERT … ON CONFLICT that touches a row twice,
    # SQLite lets the later one win; the later one wins on both.
    latest = {r["ad_id"]: r for r in rows}
    values = [{**r, "discovered_at": now} for r in latest.values()]
    stmt = insert_for(session, PromotedAd.__table__).values(values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["ad_id"], set_={"last_shown": stmt.excluded.last_shown}
        )
    )
    ids = [r["ad_id"] for r in rows]
    pending = session.scalars(
        sa.select(PromotedAd.ad_id).where(
            PromotedAd.ad_id.in_(ids), PromotedAd.link_status.is_(None)
        )
    )
    wanted = set(pending)
    return [i for i in dict.fromkeys(ids) if i in wanted]


def record_link_outcome(
    session: Session,
    ad_id: str,
    status: LinkStatus,
    now: datetime,
    *,
    reason: str | None = None,
    username: str | None = None,
    external_url: str | None = None,
) -> None:
    session.execute(
        sa.update(PromotedAd)
        .where(PromotedAd.ad_id == ad_id)
        .values(
            link_status=status,
            link_reason=reason,
            username=username,
            external_url=external_url,
            linked_at=now,
        )
    )


def record_links(session: Session, links: Sequence[dict[str, Any]], now: datetime) -> None:
    """(ad_id, video_id, rule, confidence) rows, once per pair; the videos must exist."""
    if not links:
        return
    stmt = insert_for(session, AdVideoLink.__table__).values(
        [{**link, "created_at": now} for link in links]
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["ad_id", "video_id"]))


def record_ad_domain(
    session: Session, ad_id: str, domain: str, ascii_domain: str, url: str, now: datetime
) -> None:
    """An ad's outbound domain (from ``ad.external_url``), once per (ad, domain)."""
    ids, _ = ensure_domains(session, {domain: ascii_domain}, now)
    stmt = insert_for(session, AdDomain.__table__).values(
        ad_id=ad_id, domain_id=ids[domain], field="ad.external_url", url=url, created_at=now
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["ad_id", "domain_id"]))


def mark_video_unavailable(session: Session, video_id: str, reason: str, now: datetime) -> None:
    """Deleted, or comments not disclosable: recorded, and never harvested again."""
    session.execute(
        sa.update(Video)
        .where(Video.video_id == video_id)
        .values(
            harvest_status=HarvestStatus.UNAVAILABLE, harvest_reason=reason, last_harvested_at=now
        )
    )


def unavailable_videos(session: Session, video_ids: Sequence[str]) -> set[str]:
    if not video_ids:
        return set()
    return set(
        session.scalars(
            sa.select(Video.video_id).where(
                Video.video_id.in_(video_ids), Video.harvest_status == HarvestStatus.UNAVAILABLE
            )
        )
    )


def _day(d: date | None) -> str | None:
    return d.isoformat() if d else None


def links_of_video(session: Session, video_id: str) -> list[dict[str, Any]]:
    """The ads that promote a video: rule, confidence, and the ad's outcome."""
    rows = session.execute(
        sa.select(AdVideoLink, PromotedAd)
        .join(PromotedAd, PromotedAd.ad_id == AdVideoLink.ad_id)
        .where(AdVideoLink.video_id == video_id)
        .order_by(AdVideoLink.confidence.desc(), AdVideoLink.ad_id)
        .limit(200)
    ).tuples()
    return [
        {
            "ad_id": link.ad_id,
            "rule": link.rule,
            "confidence": link.confidence,
            "region_code": ad.region_code,
            "first_shown": _day(ad.first_shown),
            "last_shown": _day(ad.last_shown),
            "external_url": ad.external_url,
            "linked_at": as_utc(link.created_at),
        }
        for link, ad in rows
    ]


def ad_domains_of_video(session: Session, video_id: str) -> list[str]:
    """Outbound domains of the ads promoting a video (their own mention kind)."""
    return list(
        session.scalars(
            sa.select(Domain.name)
            .join(AdDomain, AdDomain.domain_id == Domain.id)
            .join(AdVideoLink, AdVideoLink.ad_id == AdDomain.ad_id)
            .where(AdVideoLink.video_id == video_id)
            .distinct()
            .order_by(Domain.name)
        )
    )


def accounts_of(session: Session, business_ids: Sequence[str]) -> dict[str, str | None]:
    """What earlier lookups learnt of these advertisers: username, or None (no account)."""
    if not business_ids:
        return {}
    rows = session.execute(
        sa.select(PromotedAd.business_id, PromotedAd.username).where(
            PromotedAd.business_id.in_(business_ids),
            sa.or_(
                PromotedAd.username.is_not(None),
                PromotedAd.link_status == LinkStatus.NO_ACCOUNT,
            ),
        )
    ).tuples()
    out: dict[str, str | None] = {}
    for bid, username in rows:
        if bid is not None and (username or bid not in out):
            out[bid] = username
    return out
