"""Analysts' domain lists (#18.7, #19): sort and filter by mentions, distinct videos and
advertisers, first seen, a date range, growth; signals on every row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from harvester.domains.hosts import DomainKind
from harvester.domains.signals import Thresholds
from harvester.store import Database, domain_list, upgrade
from harvester.store.comments import upsert_comments
from harvester.store.domain_list import DomainQuery, DomainSort
from harvester.store.mentions import MentionRow, record_mentions
from harvester.store.models import Domain
from harvester.store.videos import upsert_videos

TODAY = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _m(cid: str, vid: str, domain: str, via: str | None = None) -> MentionRow:
    return MentionRow(
        cid, vid, domain, domain, domain, domain, None, 0, len(domain), False, False, 0.9, via
    )


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    d = Database(database_url)
    upgrade(d)
    yield d
    d.dispose()


def _seed(db: Database) -> None:
    """old.com: many mentions last week, few today; spiky.shop: quiet, then 12 today,
    across 4 videos of 4 advertisers; bit.ly: a shortener; fresh.io: new today."""
    with db.session() as s:
        upsert_videos(
            s, [{"video_id": f"v{i}", "advertiser_name": f"Adv {i}"} for i in range(6)], TODAY
        )
        upsert_comments(s, "v0", [{"comment_id": f"c{i}", "text": "x"} for i in range(200)], TODAY)
    n = iter(range(200))

    def mention(domain: str, when: datetime, vid: str = "v0") -> None:
        with db.session() as s:
            record_mentions(s, [_m(f"c{next(n)}", vid, domain)], when, flagged=frozenset())

    for day in range(1, 14):
        for _ in range(3):
            mention("old.com", TODAY - timedelta(days=day))
    mention("old.com", TODAY)
    mention("spiky.shop", TODAY - timedelta(days=3))
    for i in range(12):
        mention("spiky.shop", TODAY, vid=f"v{i % 4}")
    mention("bit.ly", TODAY - timedelta(days=2))
    mention("fresh.io", TODAY)
    with db.session() as s:
        s.execute(
            sa.update(Domain)
            .where(Domain.name == "spiky.shop")
            .values(registered_at=TODAY - timedelta(days=4))
        )
        s.execute(
            sa.update(Domain)
            .where(Domain.name == "old.com")
            .values(registered_at=TODAY - timedelta(days=4000))
        )
        s.execute(sa.update(Domain).where(Domain.name == "fresh.io").values(first_seen_at=TODAY))


def _names(db: Database, **kw: object) -> list[str]:
    query = DomainQuery(today=TODAY.date(), thresholds=Thresholds(pushed_advertisers=3), **kw)  # type: ignore[arg-type]
    with db.session() as s:
        return [r["name"] for r in domain_list.list_domains(s, query)]


def test_sorts_rank_what_analysts_ask_for(db: Database) -> None:
    _seed(db)
    assert _names(db, sort=DomainSort.MENTIONS)[:2] == ["old.com", "spiky.shop"]
    assert _names(db, sort=DomainSort.VIDEOS)[0] == "spiky.shop"
    assert _names(db, sort=DomainSort.ADVERTISERS)[0] == "spiky.shop"
    assert _names(db, sort=DomainSort.TODAY)[0] == "spiky.shop"
    assert _names(db, sort=DomainSort.GROWTH_DAY)[0] == "spiky.shop"
    assert _names(db, sort=DomainSort.GROWTH_WEEK)[-1] == "old.com"  # shrinking
    assert _names(db, sort=DomainSort.YOUNGEST)[:2] == ["spiky.shop", "old.com"]


def test_filters_and_signals(db: Database) -> None:
    _seed(db)
    assert _names(db, spiking=True) == ["spiky.shop"]
    assert _names(db, young=True) == ["spiky.shop"]
    assert _names(db, pushed=True) == ["spiky.shop"]
    assert _names(db, kind=DomainKind.SHORTENER) == ["bit.ly"]
    assert set(_names(db, min_mentions=10)) == {"old.com", "spiky.shop"}
    assert _names(db, new_today=True) == ["fresh.io"]
    day = (TODAY - timedelta(days=2)).date()
    assert set(_names(db, since=day, until=day)) == {"old.com", "bit.ly"}
    with db.session() as s:
        row = domain_list.one(s, "spiky.shop", DomainQuery(today=TODAY.date()))
        bitly = domain_list.one(s, "bit.ly", DomainQuery(today=TODAY.date()))
    assert row is not None and bitly is not None
    assert row["signals"] == ["young", "pushed", "spiking"]
    assert (row["video_count"], row["advertiser_count"], row["age_days"]) == (4, 4, 4)
    assert (row["mentions_today"], row["growth_day"]) == (12, 12)
    assert bitly["kind"] == "shortener" and bitly["signals"] == ["shortener"]


def test_blocklist_marks_new_domains(db: Database) -> None:
    with db.session() as s:
        upsert_videos(s, [{"video_id": "v0", "advertiser_name": "A"}], TODAY)
        upsert_comments(s, "v0", [{"comment_id": "c1", "text": "x"}], TODAY)
        record_mentions(s, [_m("c1", "v0", "bad.com")], TODAY, flagged=frozenset({"bad.com"}))
    assert _names(db, blocklisted=True) == ["bad.com"]
    with db.session() as s:
        assert domain_list.count(s, DomainQuery(blocklisted=True)) == 1
