"""Migration 0004 on a database filled before it: kinds and distinct counts backfilled."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from harvester.store import Database, upgrade

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_rows_stored_before_0004_get_their_kind_and_counts(database_url: str) -> None:
    db = Database(database_url)
    upgrade(db, "0001")
    with db.engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO video (video_id, advertiser_name, discovered_at, harvest_status,"
                " comments_harvested) VALUES ('v1', 'A', :t, 'new', 0), ('v2', 'B', :t, 'new', 0)"
            ),
            {"t": NOW},
        )
        c.execute(
            sa.text(
                "INSERT INTO comment (comment_id, video_id, text, harvested_at) VALUES "
                "('c1', 'v1', 'x', :t), ('c2', 'v2', 'x', :t)"
            ),
            {"t": NOW},
        )
        for i, name in enumerate(("bit.ly", "linktr.ee", "glow.shop"), 1):
            c.execute(
                sa.text(
                    "INSERT INTO domain (id, name, ascii_name, first_seen_at, last_seen_at,"
                    " mention_count) VALUES (:i, :n, :n, :t, :t, 2)"
                ),
                {"i": i, "n": name, "t": NOW},
            )
        for cid, vid in (("c1", "v1"), ("c2", "v2")):
            c.execute(
                sa.text(
                    "INSERT INTO domain_mention (comment_id, domain_id, video_id, host, matched,"
                    " span_start, span_end, obfuscated, email, confidence, created_at)"
                    " VALUES (:c, 3, :v, 'glow.shop', 'glow.shop', 0, 9, false, false, 0.9, :t)"
                ),
                {"c": cid, "v": vid, "t": NOW},
            )
    upgrade(db)
    with db.engine.connect() as c:
        rows = dict(
            (n, (k, vc, ac))
            for n, k, vc, ac in c.execute(
                sa.text("SELECT name, kind, video_count, advertiser_count FROM domain")
            )
        )
    assert _mentions(db) == 2  # nothing lost on the way (SQLite table copies cascade)
    _downgrade(db, "0001")
    assert _mentions(db) == 2
    upgrade(db)
    assert _mentions(db) == 2
    db.dispose()
    assert rows == {
        "bit.ly": ("shortener", 0, 0),
        "linktr.ee": ("link_in_bio", 0, 0),
        "glow.shop": ("site", 2, 2),
    }


def _mentions(db: Database) -> int:
    with db.engine.connect() as c:
        return int(c.execute(sa.text("SELECT count(*) FROM domain_mention")).scalar_one())


def _downgrade(db: Database, revision: str) -> None:
    from alembic import command

    from harvester.store.migrate import alembic_config

    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
