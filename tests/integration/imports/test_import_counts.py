"""What an import stores agrees with itself and with the pipeline's extraction: every
domain's mention, video and day counts equal what its stored mentions say (they are
recounted every few batches and at the end of the file, not every batch), every stored
mention is what extraction finds in its comment, each video's harvested count is its
comments, times read back as they were written — on SQLite and on Postgres, over many
small batches, and again after a re-import that adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from harvester.jobs import importer
from harvester.jobs.functions.extraction import mentions_of
from harvester.store import Database, upgrade
from harvester.store.import_writes import COMMENT_COLUMNS
from harvester.store.models import Comment, Domain, DomainDay, DomainMention, Video
from harvester.tiktok.imports.spool import COMMENT_KEYS
from tests.fixtures.imports import builders as b

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def _file(tmp_path: Path) -> Path:
    rows = b.zeeschuimer_posts(4)
    for v in range(4):
        rows += b.zeeschuimer_comments(30, video=v, start=v * 30)
    f = tmp_path / "z.ndjson"
    f.write_text(b.ndjson(rows))
    return f


def _check(db: Database) -> dict[str, int]:
    with db.session() as s:
        domains = s.execute(
            sa.select(Domain.id, Domain.mention_count, Domain.video_count, Domain.advertiser_count)
        ).all()
        assert domains
        for did, mentions, videos, advertisers in domains:
            m = DomainMention
            stored = s.scalar(sa.select(sa.func.count()).where(m.domain_id == did))
            distinct = s.scalar(
                sa.select(sa.func.count(sa.distinct(m.video_id))).where(m.domain_id == did)
            )
            per_day = s.scalar(
                sa.select(sa.func.sum(DomainDay.mention_count)).where(DomainDay.domain_id == did)
            )
            assert (mentions, videos, advertisers) == (stored, distinct, 0)
            assert (per_day or 0) == stored  # a caption-only domain has no days
        comments = s.execute(sa.select(Comment)).scalars().all()
        by_comment = {
            (r.comment_id, r.domain_id): r for r in s.execute(sa.select(DomainMention)).scalars()
        }
        names = dict(s.execute(sa.select(Domain.name, Domain.id)).tuples().all())
        expected = 0
        for c in comments:
            assert c.extracted_at is not None and c.harvested_at.replace(tzinfo=UTC) == NOW
            want = datetime.fromtimestamp(b.T0 - 3_600 + int(c.comment_id[2:]), UTC)
            assert c.create_time is not None and c.create_time.replace(tzinfo=UTC) == want
            for m in mentions_of(c.comment_id, c.video_id, c.text):
                got = by_comment[(c.comment_id, names[m.domain])]
                assert (got.video_id, got.host, got.matched, got.url) == (
                    m.video_id,
                    m.host,
                    m.matched,
                    m.url,
                )
                assert (got.span_start, got.span_end, got.obfuscated, got.email) == (
                    m.span_start,
                    m.span_end,
                    m.obfuscated,
                    m.email,
                )
                assert got.confidence == pytest.approx(m.confidence) and got.via_url is None
                expected += 1
        assert expected == len(by_comment)
        for vid, harvested, status in s.execute(
            sa.select(Video.video_id, Video.comments_harvested, Video.harvest_status)
        ):
            n = s.scalar(sa.select(sa.func.count()).where(Comment.video_id == vid))
            assert harvested == n and (status == "harvested") == (n > 0)
        return {"comments": len(comments), "mentions": len(by_comment)}


@pytest.mark.parametrize("recount_every", [3, 1000])  # mid-file and at the end; at the end
def test_counts_agree_over_many_batches_and_a_reimport(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, recount_every: int
) -> None:
    monkeypatch.setattr(importer, "BATCH", 7)  # 124 rows: 18 batches
    monkeypatch.setattr(importer, "RECOUNT_EVERY", recount_every)
    db = Database(database_url)
    upgrade(db)
    try:
        f = _file(tmp_path)
        report = importer.import_path(db, lambda: NOW, f)
        assert report.refused is None and report.new_comments == 120
        first = _check(db)
        assert first["comments"] == 120 and first["mentions"] == report.mentions > 40
        again = importer.import_path(db, lambda: NOW, f)
        assert again.new_comments == 0 and again.mentions == 0
        assert _check(db) == first
    finally:
        db.dispose()


def test_the_spool_keeps_comments_in_the_writes_column_order() -> None:
    assert COMMENT_KEYS == COMMENT_COLUMNS
