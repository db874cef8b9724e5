"""quota ledger (requests and records per client key, API and UTC day) and the
results asynchronous workers post back

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
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
    op.create_table(
        "worker_result",
        sa.Column("job_id", sa.String(length=200), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_id"),
    )
    with op.batch_alter_table("worker_result", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_worker_result_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("worker_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker_result_received_at"))
    op.drop_table("worker_result")
    op.drop_table("quota_ledger")
