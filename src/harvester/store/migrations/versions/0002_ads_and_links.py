"""ads, ad-video links (rule, confidence), ads' outbound domains, video harvest reason

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ad",
        sa.Column("ad_id", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=True),
        sa.Column("advertiser_name", sa.String(length=255), nullable=True),
        sa.Column("business_id", sa.String(length=64), nullable=True),
        sa.Column("username", sa.String(length=255), nullable=True),
        sa.Column("first_shown", sa.Date(), nullable=True),
        sa.Column("last_shown", sa.Date(), nullable=True),
        sa.Column("external_url", sa.Text(), nullable=True),
        sa.Column("link_status", sa.String(length=16), nullable=True),
        sa.Column("link_reason", sa.Text(), nullable=True),
        sa.Column("discovered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("ad_id"),
    )
    with op.batch_alter_table("ad", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ad_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_ad_business_id"), ["business_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ad_link_status"), ["link_status"], unique=False)
        batch_op.create_index(batch_op.f("ix_ad_discovered_at"), ["discovered_at"], unique=False)
    op.create_table(
        "ad_video_link",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ad_id", sa.String(length=64), nullable=False),
        sa.Column("video_id", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ad_id"], ["ad.ad_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["video_id"], ["video.video_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ad_id", "video_id", name="uq_ad_video"),
    )
    with op.batch_alter_table("ad_video_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ad_video_link_ad_id"), ["ad_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ad_video_link_video_id"), ["video_id"], unique=False)
    op.create_table(
        "ad_domain",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ad_id", sa.String(length=64), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ad_id"], ["ad.ad_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["domain_id"], ["domain.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ad_id", "domain_id", name="uq_ad_domain"),
    )
    with op.batch_alter_table("ad_domain", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ad_domain_ad_id"), ["ad_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ad_domain_domain_id"), ["domain_id"], unique=False)
    # Plain ALTER TABLE, not batch mode: on SQLite a batch copies the table, and
    # dropping the old `video` would cascade-delete its comments and their mentions.
    op.add_column("video", sa.Column("harvest_reason", sa.String(length=255), nullable=True))


def downgrade() -> None:
    op.drop_column("video", "harvest_reason")  # SQLite 3.35+ drops a plain column in place
    op.drop_table("ad_domain")
    op.drop_table("ad_video_link")
    op.drop_table("ad")
