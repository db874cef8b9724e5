from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from harvester.store import Database, upgrade
from harvester.store.migrate import current_revision, head_revision
from harvester.store.models import Comment, Domain, DomainMention, Video

EXPECTED_TABLES = {
    "video",
    "comment",
    "domain",
    "domain_mention",
    "domain_day",
    "job_status",
    "dead_letter",
    "alert",
    "setting",
    "health_check",
    "rate_bucket",
    "breaker_state",
    "ad",
    "ad_video_link",
    "ad_domain",
    "quota_ledger",
    "worker_result",
}


def test_upgrade_creates_schema_and_is_idempotent(database_url: str) -> None:
    db = Database(database_url)
    upgrade(db)
    upgrade(db)  # running on every start must be harmless
    names = set(sa.inspect(db.engine).get_table_names())
    assert names >= EXPECTED_TABLES
    assert current_revision(db) == head_revision()
    db.dispose()


def test_the_head_read_from_the_files_is_alembics_and_an_empty_database_has_none(
    sqlite_url: str,
) -> None:
    from alembic.script import ScriptDirectory

    from harvester.store.migrate import alembic_config

    alembic_head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head_revision() == alembic_head is not None
    db = Database(sqlite_url)
    assert current_revision(db) is None  # nothing stamped yet
    upgrade(db, alembic_head)
    assert current_revision(db) == alembic_head
    db.dispose()


def test_natural_keys_are_unique(database_url: str) -> None:
    db = Database(database_url)
    upgrade(db)
    now = datetime.now(UTC)
    with db.session() as s:
        s.add(Video(video_id="v1", discovered_at=now))
        s.flush()
        s.add(Comment(comment_id="c1", video_id="v1", text="hi", harvested_at=now))
        s.add(
            Domain(
                name="example.com", ascii_name="example.com", first_seen_at=now, last_seen_at=now
            )
        )
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(Video(video_id="v1", discovered_at=now))
    with db.session() as s:
        dom = s.scalars(sa.select(Domain)).one()
        s.add(
            DomainMention(
                comment_id="c1",
                domain_id=dom.id,
                video_id="v1",
                host="example.com",
                matched="example.com",
                span_start=0,
                span_end=11,
                confidence=1.0,
                created_at=now,
            )
        )
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(
            DomainMention(
                comment_id="c1",
                domain_id=dom.id,
                video_id="v1",
                host="x",
                matched="x",
                span_start=0,
                span_end=1,
                confidence=1.0,
                created_at=now,
            )
        )
    db.dispose()


def test_sqlite_pragmas(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 30000
    db.dispose()
