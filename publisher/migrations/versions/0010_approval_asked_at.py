"""approvals: when the approvers were asked (deadline fits the time left), and what they saw

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-28 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import drafts.models

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("approval_policy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("asked_at", drafts.models.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("approval_request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("snapshot", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("approval_request", schema=None) as batch_op:
        batch_op.drop_column("snapshot")
    with op.batch_alter_table("approval_policy", schema=None) as batch_op:
        batch_op.drop_column("asked_at")
