"""Imports waiting for confirmation are kept in the database

- ``pending_import``: an uploaded file's rows between the preview and the
  confirmation, then the import's outcome, named by the digest of the secret in
  the preview's address. Before, they were files in the instance folder, which
  another application host behind a balancer could not see. Files waiting at the
  upgrade are not moved: an organiser who was between the preview and the
  confirmation uploads the file again.

A new table only. Its downgrade drops it (waiting imports are then lost, as the
files of a downgraded host would be missing).

Revision ID: 0020_pending_imports
Revises: 0019_worker_heartbeat
Create Date: 2026-12-05 14:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020_pending_imports"
down_revision = "0019_worker_heartbeat"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pending_import",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("send_emails", sa.Boolean(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("kept_since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_pending_import_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_pending_import_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_pending_import")),
    )
    op.create_index("ix_pending_import_kept_since", "pending_import", ["kept_since"])


def downgrade():
    op.drop_index("ix_pending_import_kept_since", table_name="pending_import")
    op.drop_table("pending_import")
