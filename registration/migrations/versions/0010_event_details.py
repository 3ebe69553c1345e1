"""Event details: who may take part, cost, language, programme, practical information

- ``event.audience``: who may take part, one line; empty when nothing is stated.
- ``event.cost``: what taking part costs, one line; empty means free.
- ``event.language``: the language the event is held in (``pl`` or ``en``);
  existing events are Polish.
- ``event.programme``: the programme by day and hour, as organisers type it.
- ``event.practical_information``: travel and accommodation, like the description.

Each is added with a constant server default, so existing rows are filled and
SQLite adds the columns in place: copying the ``event`` table (Alembic's batch
mode) would delete every registration through the cascading foreign key. The
language's CHECK constraint is a column constraint of its ADD COLUMN for the
same reason, written out because ``op.add_column`` cannot add one on SQLite.

Revision ID: 0010_event_details
Revises: 0009_message_key_not_indexed
Create Date: 2026-12-14 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_event_details"
down_revision = "0009_message_key_not_indexed"
branch_labels = None
depends_on = None

TEXT_COLUMNS = ("audience", "cost", "programme", "practical_information")


def upgrade():
    op.add_column(
        "event", sa.Column("audience", sa.String(length=300), nullable=False, server_default="")
    )
    op.add_column(
        "event", sa.Column("cost", sa.String(length=200), nullable=False, server_default="")
    )
    op.execute(
        "ALTER TABLE event ADD COLUMN language VARCHAR(2) DEFAULT 'pl' NOT NULL "
        "CONSTRAINT ck_event_language_known CHECK (language IN ('pl', 'en'))"
    )
    op.add_column("event", sa.Column("programme", sa.Text(), nullable=False, server_default=""))
    op.add_column(
        "event",
        sa.Column("practical_information", sa.Text(), nullable=False, server_default=""),
    )


def downgrade():
    # Not a batch operation (see above): SQLite drops a column in place since 3.35.
    for column in (*TEXT_COLUMNS, "language"):
        op.execute(f"ALTER TABLE event DROP COLUMN {column}")
