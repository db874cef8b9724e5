"""domain intelligence: kinds, distinct counts, registration, resolutions, enrichments

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from harvester.domains.hosts import LINK_IN_BIO, SHORTENERS

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN, not batch mode: on SQLite a batch copies the table,
    # and dropping the old `domain` would cascade-delete every mention.
    op.add_column("domain", sa.Column("kind", sa.String(16), nullable=False, server_default="site"))
    for col in ("video_count", "advertiser_count"):
        op.add_column("domain", sa.Column(col, sa.Integer(), nullable=False, server_default="0"))
    op.add_column(
        "domain", sa.Column("blocklisted", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("domain", sa.Column("registered_at", TS, nullable=True))
    op.add_column("domain", sa.Column("registrar", sa.String(255), nullable=True))
    for col in ("kind", "video_count", "advertiser_count", "registered_at"):
        op.create_index(f"ix_domain_{col}", "domain", [col], unique=False)
    op.add_column("domain_mention", sa.Column("via_url", sa.Text(), nullable=True))
    op.create_table(
        "link_resolution",
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("source_domain", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("chain", sa.JSON(), nullable=False),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("final_domain", sa.String(255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("resolved_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("url"),
    )
    with op.batch_alter_table("link_resolution", schema=None) as b:
        b.create_index(b.f("ix_link_resolution_final_domain"), ["final_domain"], unique=False)
        b.create_index(b.f("ix_link_resolution_source_domain"), ["source_domain"], unique=False)
        b.create_index(b.f("ix_link_resolution_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "domain_enrichment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["domain_id"], ["domain.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("domain_id", "kind", name="uq_domain_enrichment"),
    )
    with op.batch_alter_table("domain_enrichment", schema=None) as b:
        b.create_index(b.f("ix_domain_enrichment_expires_at"), ["expires_at"], unique=False)
    _backfill()


def _backfill() -> None:
    """Rows stored before this revision: their kind and distinct counts."""
    domain = sa.table("domain", sa.column("name"), sa.column("kind"))
    for kind, names in (("shortener", SHORTENERS), ("link_in_bio", LINK_IN_BIO)):
        op.execute(domain.update().where(domain.c.name.in_(sorted(names))).values(kind=kind))
    op.execute(
        "UPDATE domain SET "
        "video_count = (SELECT count(DISTINCT m.video_id) FROM domain_mention m "
        "WHERE m.domain_id = domain.id), "
        "advertiser_count = (SELECT count(DISTINCT v.advertiser_name) FROM domain_mention m "
        "JOIN video v ON v.video_id = m.video_id WHERE m.domain_id = domain.id)"
    )


def downgrade() -> None:
    op.drop_table("domain_enrichment")
    op.drop_table("link_resolution")
    for col in ("kind", "video_count", "advertiser_count", "registered_at"):
        op.drop_index(f"ix_domain_{col}", table_name="domain")
    # SQLite (3.35+) drops a plain column in place; none of these is indexed any more.
    op.drop_column("domain_mention", "via_url")
    for col in ("registrar", "registered_at", "blocklisted", "advertiser_count", "video_count"):
        op.drop_column("domain", col)
    op.drop_column("domain", "kind")
