"""Each event names the controller of its registrations' personal data

``event.data_controller`` holds the key of one of the data controllers configured
for the event's city (``ORGANISATION_FILE``); NULL, as for every existing event,
means the city's default, and without one the coordinator. A nullable column
without a default, so SQLite adds it in place.

Revision ID: 0012_event_data_controller
Revises: 0011_manage_link_messages
Create Date: 2026-12-05 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_event_data_controller"
down_revision = "0011_manage_link_messages"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("event", sa.Column("data_controller", sa.String(length=60), nullable=True))


def downgrade():
    # Not a batch operation: copying the event table would cascade to its registrations.
    op.execute("ALTER TABLE event DROP COLUMN data_controller")
