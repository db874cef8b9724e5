"""domain intelligence: kinds, distinct counts, registration, resolutions, enrichments

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-01 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("domain", schema=None) as b:
        b.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="site"))
        b.add_column(sa.Column("video_count", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(
            sa.Column("advertiser_count", sa.Integer(), nullable=False, server_default="0")
        )
        b.add_column(
            sa.Column("blocklisted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        b.add_column(sa.Column("registered_at", TS, nullable=True))
        b.add_column(sa.Column("registrar", sa.String(255), nullable=True))
        b.create_index(b.f("ix_domain_kind"), ["kind"], unique=False)
        b.create_index(b.f("ix_domain_video_count"), ["video_count"], unique=False)
        b.create_index(b.f("ix_domain_advertiser_count"), ["advertiser_count"], unique=False)
        b.create_index(b.f("ix_domain_registered_at"), ["registered_at"], unique=False)
    with op.batch_alter_table("domain_mention", schema=None) as b:
        b.add_column(sa.Column("via_url", sa.Text(), nullable=True))
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


def downgrade() -> None:
    op.drop_table("domain_enrichment")
    op.drop_table("link_resolution")
    with op.batch_alter_table("domain_mention", schema=None) as b:
        b.drop_column("via_url")
    with op.batch_alter_table("domain", schema=None) as b:
        for ix in ("registered_at", "advertiser_count", "video_count", "kind"):
            b.drop_index(b.f(f"ix_domain_{ix}"))
        for col in ("registrar", "registered_at", "blocklisted", "advertiser_count"):
            b.drop_column(col)
        b.drop_column("video_count")
        b.drop_column("kind")
