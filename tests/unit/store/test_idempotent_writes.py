"""Store writes that say they are idempotent, on SQLite and Postgres: writing the same
thing twice leaves what writing it once left (rows, counts, the first-seen times)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from harvester.store import Database, LinkStatus
from harvester.store.ads import record_link_outcome, upsert_ads
from harvester.store.clock import as_utc
from harvester.store.kv import get_setting, put_setting
from harvester.store.mentions import MentionRow, record_mentions
from harvester.store.models import Comment, Domain, DomainDay, DomainMention, PromotedAd, Video
from tests.unit.store.backends import SQL_BACKENDS, store_database

NOW = datetime(2030, 3, 14, 12, 0, tzinfo=UTC)


@pytest.fixture(params=SQL_BACKENDS)
def db(request: pytest.FixtureRequest) -> Database:
    return store_database(request.param, request)


def _count(db: Database, model: type) -> int:
    with db.session() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_a_setting_written_twice_is_one_row_with_the_last_value(db: Database) -> None:
    with db.session() as s:
        put_setting(s, "kill_switch", {"on": True})
    with db.session() as s:
        put_setting(s, "kill_switch", {"on": True})
        put_setting(s, "kill_switch", {"on": False, "by": "ops"})
    with db.session() as s:
        value = get_setting(s, "kill_switch")
        assert value == {"on": False, "by": "ops"}
        assert value is not None
        value["on"] = True  # a copy: changing it changes nothing stored
        assert get_setting(s, "kill_switch") == {"on": False, "by": "ops"}
        assert get_setting(s, "never set") is None


def _ad(last_shown: date) -> dict[str, object]:
    return {"ad_id": "ad1", "advertiser_name": "Shop", "last_shown": last_shown}


def test_an_ad_seen_again_is_one_row_that_keeps_its_discovery(db: Database) -> None:
    with db.session() as s:
        assert upsert_ads(s, [_ad(date(2030, 3, 13))], NOW) == ["ad1"]
    later = NOW + timedelta(days=1)
    with db.session() as s:  # seen again, still not linked: still to link
        assert upsert_ads(s, [_ad(date(2030, 3, 14))], later) == ["ad1"]
    with db.session() as s:
        record_link_outcome(s, "ad1", LinkStatus.LINKED, later)
    with db.session() as s:
        assert upsert_ads(s, [_ad(date(2030, 3, 15))], later) == []  # linked: done
        ad = s.get(PromotedAd, "ad1")
        assert ad is not None
        assert (ad.last_shown, as_utc(ad.discovered_at)) == (date(2030, 3, 15), NOW)
    assert _count(db, PromotedAd) == 1


def test_an_ad_twice_in_one_batch_is_one_row_on_every_backend(db: Database) -> None:
    with db.session() as s:
        ads = [_ad(date(2030, 3, 13)), _ad(date(2030, 3, 14))]
        assert upsert_ads(s, ads, NOW) == ["ad1"]
    with db.session() as s:
        ad = s.get(PromotedAd, "ad1")
        assert ad is not None and ad.last_shown == date(2030, 3, 14)
    assert _count(db, PromotedAd) == 1


def _mention(comment_id: str) -> MentionRow:
    return MentionRow(
        comment_id=comment_id,
        video_id="v1",
        domain="example.com",
        ascii_domain="example.com",
        host="example.com",
        matched="example.com",
        url=None,
        span_start=0,
        span_end=11,
        obfuscated=False,
        email=False,
        confidence=0.9,
    )


def test_a_mention_recorded_twice_counts_once(db: Database) -> None:
    with db.session() as s:
        s.add(Video(video_id="v1", advertiser_name="Shop", discovered_at=NOW))
        s.flush()  # the comments refer to it
        s.add_all(
            Comment(comment_id=c, video_id="v1", text="see example.com", harvested_at=NOW)
            for c in ("c1", "c2")
        )
    with db.session() as s:
        assert record_mentions(s, [_mention("c1"), _mention("c1")], NOW) == ["example.com"]
    with db.session() as s:  # a retried step stores the same mention again
        assert record_mentions(s, [_mention("c1")], NOW) == []
    with db.session() as s:
        domain = s.scalars(sa.select(Domain)).one()
        day = s.scalars(sa.select(DomainDay)).one()
        assert (domain.mention_count, domain.video_count, day.mention_count) == (1, 1, 1)
        assert as_utc(domain.first_seen_at) == NOW  # SQLite hands back naive UTC
    assert _count(db, DomainMention) == 1
    with db.session() as s:  # another comment is another mention
        record_mentions(s, [_mention("c2")], NOW + timedelta(hours=1))
    with db.session() as s:
        assert s.scalars(sa.select(Domain.mention_count)).one() == 2
