"""deliveries: an index on the effective due time, so a claim reads only the batch it takes

The claim orders due work by `coalesce(next_attempt_at, due_at), id` per status; without an
index on that expression it sorted the whole due backlog on every claim (issue 14).

Revision ID: 0004
Revises: 0005
Create Date: 2026-11-28 12:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_delivery_status_effective_due",
        "delivery",
        ["status", sa.text("coalesce(next_attempt_at, due_at)"), "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_delivery_status_effective_due", table_name="delivery")
