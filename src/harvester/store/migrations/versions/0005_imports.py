"""imports: the promoted flag and provenance of videos, import files, caption mentions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy on SQLite: dropping the old `video` would cascade).
    op.add_column("video", sa.Column("promoted", sa.Boolean(), nullable=True))
    op.add_column("video", sa.Column("collector", sa.String(32), nullable=True))
    op.add_column("video", sa.Column("collected_at", TS, nullable=True))
    op.create_index("ix_video_promoted", "video", ["promoted"], unique=False)
    op.create_table(
        "import_file",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("platform", sa.String(32), nullable=True),
        sa.Column("format", sa.String(32), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("done_bytes", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("rows", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_import_file_created_at", "import_file", ["created_at"], unique=False)
    op.create_table(
        "caption_mention",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("video_id", sa.String(64), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("matched", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["video_id"], ["video.video_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["domain_id"], ["domain.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("video_id", "domain_id", name="uq_caption_mention"),
    )
    op.create_index("ix_caption_mention_domain_id", "caption_mention", ["domain_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_caption_mention_domain_id", table_name="caption_mention")
    op.drop_table("caption_mention")
    op.drop_index("ix_import_file_created_at", table_name="import_file")
    op.drop_table("import_file")
    op.drop_index("ix_video_promoted", table_name="video")
    for col in ("collected_at", "collector", "promoted"):
        op.drop_column("video", col)
