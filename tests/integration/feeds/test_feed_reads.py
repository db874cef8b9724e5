"""The feeds' read of the store (SQLite and Postgres): site domains only, with their
top videos' URLs and the links that resolved to them; the feed filters; and what the
exclusions keep out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harvester.domains.signals import Signal
from harvester.jobs.functions.feeds import collect
from harvester.settings import Settings
from harvester.store import Database, upgrade
from harvester.store.comments import upsert_comments
from harvester.store.feed_reads import FeedFilter, ResolvedLink, iter_evidence
from harvester.store.intel import Resolution, save_resolution
from harvester.store.mentions import MentionRow, record_mentions
from harvester.store.states import LookupStatus
from harvester.store.videos import upsert_videos

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def _m(cid: str, vid: str, domain: str) -> MentionRow:
    return MentionRow(
        cid, vid, domain, domain, domain, domain, None, 0, len(domain), False, False, 0.9
    )


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    d = Database(database_url)
    upgrade(d)
    _seed(d)
    yield d
    d.dispose()


def _seed(db: Database) -> None:
    """shop.example: 5 mentions on v2, 2 on v1, 1 on v3 (no URL, no user), 3 advertisers,
    reached through bit.ly too; bit.ly (a shortener); tiktok.com; quiet.example: one
    mention two days ago; bad.example: a hostile video URL."""
    videos = [
        {"video_id": vid, "advertiser_name": adv, "url": url, "username": user}
        for vid, adv, url, user in [
            ("v1", "A", "https://www.tiktok.com/@a/video/v1", None),
            ("v2", "B", None, "bee"),
            ("v3", "C", None, None),
            ("v4", "D", "javascript:alert(1)", None),
        ]
    ]
    plan = [
        *[("v2", "shop.example")] * 5,
        *[("v1", "shop.example")] * 2,
        ("v3", "shop.example"),
        ("v1", "bit.ly"),
        ("v1", "tiktok.com"),
        ("v4", "bad.example"),
    ]
    with db.session() as s:
        upsert_videos(s, videos, NOW)
        for vid in ("v1", "v2", "v3", "v4"):
            upsert_comments(
                s, vid, [{"comment_id": f"{vid}-{i}", "text": "x"} for i in range(9)], NOW
            )
        record_mentions(s, [_m("v1-8", "v1", "quiet.example")], NOW - timedelta(days=2))
        seen: dict[str, int] = {}
        for vid, domain in plan:
            seen[vid] = seen.get(vid, -1) + 1
            record_mentions(s, [_m(f"{vid}-{seen[vid]}", vid, domain)], NOW)
        hop = Resolution(
            url="https://bit.ly/abc",
            source_domain="bit.ly",
            status=LookupStatus.OK,
            hops=[],
            final_url="https://shop.example/landing",
            final_domain="shop.example",
            outbound=[],
        )
        save_resolution(s, hop, NOW, timedelta(hours=24))


def _read(db: Database, **kw: object) -> dict[str, object]:
    feed = FeedFilter(today=TODAY, **kw)  # type: ignore[arg-type]
    with db.session() as s:
        return {d.name: d for d in iter_evidence(s, feed)}


def test_site_domains_come_with_their_videos_and_resolved_links(db: Database) -> None:
    found = _read(db)
    assert sorted(found) == ["bad.example", "quiet.example", "shop.example", "tiktok.com"]
    shop = found["shop.example"]
    assert shop.mention_count == 8 and shop.video_count == 3  # type: ignore[attr-defined]
    # What enrichment found travels; "new today" (stale tomorrow) does not.
    assert shop.signals == ("pushed", "spiking")  # type: ignore[attr-defined]
    # Most mentioned first; v3 has neither a URL nor a username: no address to give.
    assert shop.video_urls == (  # type: ignore[attr-defined]
        "https://www.tiktok.com/@bee/video/v2",
        "https://www.tiktok.com/@a/video/v1",
    )
    assert shop.resolved_links == (  # type: ignore[attr-defined]
        ResolvedLink("https://bit.ly/abc", "https://shop.example/landing"),
    )
    assert found["bad.example"].video_urls == ()  # type: ignore[attr-defined]
    assert _read(db, max_urls=1)["shop.example"].video_urls == (  # type: ignore[attr-defined]
        "https://www.tiktok.com/@bee/video/v2",
    )


def test_the_filters_narrow_the_feed(db: Database) -> None:
    assert sorted(_read(db, since=TODAY)) == ["bad.example", "shop.example", "tiktok.com"]
    assert sorted(_read(db, min_mentions=2)) == ["shop.example"]
    assert sorted(_read(db, min_advertisers=2)) == ["shop.example"]
    assert sorted(_read(db, signals=frozenset({Signal.PUSHED}))) == ["shop.example"]
    with pytest.raises(ValueError, match="young, spiking or pushed"):
        FeedFilter(signals=frozenset({Signal.BLOCKLISTED})).query()


def test_collect_leaves_out_tiktok_and_the_allowlist(db: Database, tmp_path: Path) -> None:
    allow = tmp_path / "tranco.csv"
    allow.write_text("rank,domain\n1,google.com\n2,quiet.example\n")
    settings = Settings(data_dir=tmp_path, feed_allowlist_file=allow)
    got = collect(db, settings, FeedFilter(today=TODAY))
    assert sorted(d.name for d in got.records) == ["bad.example", "shop.example"]
    assert got.left_out == 2  # tiktok.com, quiet.example (bit.ly is no site: never read)
