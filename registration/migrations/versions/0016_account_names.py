"""Account names: who an organiser is, for the audit log's sentences

- ``account.name``: the person's name, given when they are invited; accounts made
  before have none and are shown by their address.

Revision ID: 0016_account_names
Revises: 0015_attendance
Create Date: 2026-12-05 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_account_names"
down_revision = "0015_attendance"
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column is added in place, on SQLite too: no table is copied.
    op.add_column("account", sa.Column("name", sa.String(length=200), nullable=True))


def downgrade():
    # Not in batch mode: copying the account table would take its sessions and tokens
    # with it (their foreign keys cascade). SQLite drops a column in place since 3.35.
    op.drop_column("account", "name")
