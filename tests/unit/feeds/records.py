"""Feed records for the builders' tests: a fixed day, nothing from the clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from harvester.feeds import FeedMeta, Tlp
from harvester.store.feed_reads import DomainEvidence, ResolvedLink

DAY = date(2026, 11, 30)
NOON = datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)
META = FeedMeta(instance="test", today=DAY, tlp=Tlp.CLEAR)


def evidence(name: str, ascii_name: str | None = None, **kw: object) -> DomainEvidence:
    base = DomainEvidence(
        name=name,
        ascii_name=ascii_name or name,
        kind="site",
        first_seen_at=NOON,
        last_seen_at=NOON + timedelta(minutes=5),
        mention_count=3,
        video_count=2,
        advertiser_count=1,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def sample() -> list[DomainEvidence]:
    """Three site domains over two days, one IDN, one with every kind of evidence."""
    return [
        evidence(
            "shop-deals.example",
            signals=("young", "pushed"),
            video_urls=("https://www.tiktok.com/@brand/video/7301",),
            resolved_links=(ResolvedLink("https://bit.ly/abc", "https://shop-deals.example/p"),),
        ),
        evidence("bücher.example", "xn--bcher-kva.example", mention_count=1),
        evidence(
            "older.example",
            first_seen_at=NOON - timedelta(days=1),
            last_seen_at=NOON,
            mention_count=12,
            signals=("blocklisted",),
        ),
    ]
