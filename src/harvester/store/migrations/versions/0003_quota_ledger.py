"""quota ledger: requests and records spent per client key, API and UTC day

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quota_ledger",
        sa.Column("client_key", sa.String(length=128), nullable=False),
        sa.Column("api", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("client_key", "api", "day"),
    )


def downgrade() -> None:
    op.drop_table("quota_ledger")
