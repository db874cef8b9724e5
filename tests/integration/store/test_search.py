"""The one search box's queries on both databases: each kind, both domain spellings,
escaped wildcards, the per-kind bound."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from harvester.store import Database, upgrade
from harvester.store.ads import upsert_ads
from harvester.store.comments import upsert_comments
from harvester.store.domains import ensure_domains
from harvester.store.search import search_all, spellings
from harvester.store.videos import upsert_videos

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    d = Database(database_url)
    upgrade(d)
    with d.session() as s:
        upsert_videos(
            s,
            [
                {"video_id": "7301000000000000001", "advertiser_name": "Glow Skincare"},
                {"video_id": "7301000000000000002", "advertiser_name": "glow skincare"},
                {"video_id": "7309999999999999999", "advertiser_name": "100% Deals_Co"},
            ],
            NOW,
        )
        upsert_ads(s, [{"ad_id": "a1", "advertiser_name": "Glowing Ads Ltd"}], NOW)
        upsert_comments(
            s,
            "7301000000000000001",
            [
                {"comment_id": "c-100", "text": "Buy at ESPAÑA-ofertas.es now"},
                {"comment_id": "c-101", "text": "50% off today only"},
                {"comment_id": "c-102", "text": "5000 off, no percent sign"},
                {"comment_id": "c-103", "text": "nothing here"},
            ],
            NOW,
        )
        ensure_domains(
            s,
            {"españa-ofertas.es": "xn--espaa-ofertas-lkb.es", "glow.shop": "glow.shop"},
            NOW,
            frozenset(),
        )
    yield d
    d.dispose()


def test_spellings_give_the_other_form_of_an_idn() -> None:
    assert spellings("xn--espaa-ofertas-lkb.es") == [
        "xn--espaa-ofertas-lkb.es",
        "españa-ofertas.es",
    ]
    assert spellings("España-Ofertas.es") == ["españa-ofertas.es", "xn--espaa-ofertas-lkb.es"]
    assert spellings("glow") == ["glow"]


def test_a_domain_is_found_by_either_spelling(db: Database) -> None:
    with db.session() as s:
        for q in ("españa-ofertas.es", "xn--espaa-ofertas-lkb.es", "ESPAÑA", "lkb"):
            names = [d["name"] for d in search_all(s, q).domains]
            assert names == ["españa-ofertas.es"], q


def test_each_kind_is_grouped(db: Database) -> None:
    with db.session() as s:
        hits = search_all(s, "glow")
        assert [d["name"] for d in hits.domains] == ["glow.shop"]
        assert [(a["name"], a["videos"]) for a in hits.advertisers] in (
            [("Glow Skincare", 1), ("glow skincare", 1), ("Glowing Ads Ltd", 0)],
            [("glow skincare", 1), ("Glow Skincare", 1), ("Glowing Ads Ltd", 0)],
        )
        assert hits.videos == [] and hits.comments == []
        assert [v["video_id"] for v in search_all(s, "73010").videos] == [
            "7301000000000000001",
            "7301000000000000002",
        ]
        by_id = search_all(s, "c-103").comments
        assert [c["comment_id"] for c in by_id] == ["c-103"]
        by_text = search_all(s, "-OFERTAS.es").comments  # ASCII case only on SQLite
        assert [c["comment_id"] for c in by_text] == ["c-100"]


def test_wildcards_in_the_query_are_literal(db: Database) -> None:
    with db.session() as s:
        assert [c["comment_id"] for c in search_all(s, "50%").comments] == ["c-101"]
        assert [a["name"] for a in search_all(s, "s_C").advertisers] == ["100% Deals_Co"]
        assert search_all(s, "%").total == 2  # the comment and the advertiser with a "%"
        assert search_all(s, "   ").total == 0


def test_each_kind_is_bounded_and_says_there_is_more(db: Database) -> None:
    with db.session() as s:
        hits = search_all(s, "7301", limit=1)
        assert len(hits.videos) == 1 and hits.more == frozenset({"videos"})
        assert search_all(s, "7301", limit=2).more == frozenset()
