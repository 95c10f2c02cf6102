"""security: a per-user session version, and failed logins keyed by client address too

Revision ID: 0009
Revises: 0010 (re-chained after merging main; written against 0003)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0",
                                      nullable=False))
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address_key", sa.String(length=32), server_default="",
                                      nullable=False))
        batch_op.create_index(batch_op.f("ix_login_attempt_address_key"), ["address_key"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempt_address_key"))
        batch_op.drop_column("address_key")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("session_version")
