"""Resolutions and enrichments in the store, on both databases: upserts, TTL, evidence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from harvester.store import Database, domain_list, intel, upgrade
from harvester.store.comments import upsert_comments
from harvester.store.mentions import MentionRow, record_mentions
from harvester.store.states import EnrichmentKind, LookupStatus
from harvester.store.videos import upsert_videos

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
TTL = timedelta(hours=24)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    d = Database(database_url)
    upgrade(d)
    with d.session() as s:
        upsert_videos(s, [{"video_id": "v1", "advertiser_name": "A"}], NOW)
        upsert_comments(s, "v1", [{"comment_id": "c1", "text": "https://bit.ly/x"}], NOW)
        row = MentionRow(
            "c1",
            "v1",
            "bit.ly",
            "bit.ly",
            "bit.ly",
            "bit.ly/x",
            "https://bit.ly/x",
            0,
            8,
            False,
            False,
            0.99,
        )
        record_mentions(s, [row], NOW)
        record_mentions(
            s,
            [
                MentionRow(
                    "c1",
                    "v1",
                    "glow.shop",
                    "glow.shop",
                    "glow.shop",
                    "bit.ly/x",
                    "https://glow.shop/",
                    0,
                    8,
                    False,
                    False,
                    0.95,
                    "https://bit.ly/x",
                )
            ],
            NOW,
        )
    yield d
    d.dispose()


def test_resolution_upsert_ttl_and_evidence(db: Database) -> None:
    r = intel.Resolution(
        "https://bit.ly/x",
        "bit.ly",
        LookupStatus.OK,
        [{"url": "https://bit.ly/x", "status": 301}],
        "https://glow.shop/",
        "glow.shop",
        [],
    )
    with db.session() as s:
        intel.save_resolution(s, r, NOW, TTL)
        intel.save_resolution(s, r, NOW, TTL)  # a retried step: still one row
        assert intel.fresh_resolutions(s, [r.url], NOW + timedelta(hours=23)) == {r.url}
        assert intel.fresh_resolutions(s, [r.url], NOW + timedelta(hours=25)) == set()
        carriers = intel.mentions_with_url(s, "bit.ly", r.url)
        assert [c["comment_id"] for c in carriers] == ["c1"]
        glow_id = domain_list.one(s, "glow.shop")["id"]  # type: ignore[index]
        ev = intel.evidence(s, glow_id, "glow.shop")
    assert [x["url"] for x in ev["resolutions"]] == [r.url]  # leads here
    assert ev["resolutions"][0]["hops"][0]["status"] == 301


def test_rdap_enrichment_sets_the_age_and_the_cache(db: Database) -> None:
    with db.session() as s:
        glow_id = domain_list.one(s, "glow.shop")["id"]  # type: ignore[index]
        assert intel.due_enrichments(s, ["glow.shop"], EnrichmentKind.RDAP, NOW) == [
            (glow_id, "glow.shop")
        ]
        data = {"registered_at": (NOW - timedelta(days=3)).isoformat(), "registrar": "R"}
        for _ in range(2):
            intel.save_enrichment(
                s, glow_id, EnrichmentKind.RDAP, LookupStatus.OK, data, None, NOW, TTL
            )
        assert intel.due_enrichments(s, ["glow.shop"], EnrichmentKind.RDAP, NOW) == []
        assert intel.due_enrichments(s, ["glow.shop"], EnrichmentKind.DNS, NOW) != []
        row = domain_list.one(s, "glow.shop", domain_list.DomainQuery(today=NOW.date()))
        ev = intel.evidence(s, glow_id, "glow.shop")
    assert row is not None and row["age_days"] == 3 and row["registrar"] == "R"
    assert "young" in row["signals"]
    assert ev["enrichment"]["rdap"]["status"] == "ok"
