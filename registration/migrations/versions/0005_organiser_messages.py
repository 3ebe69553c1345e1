"""Organiser messages: a new kind of outbox message

The kind column is a VARCHAR with a CHECK constraint listing the kinds (a
non-native enum, the same on both backends); the constraint is replaced by one
that admits 'organiser_message'. SQLite cannot alter a constraint, so there
the batch operation copies the table.

Revision ID: 0005_organiser_messages
Revises: 0004_accounts
Create Date: 2026-11-28 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005_organiser_messages"
down_revision = "0004_accounts"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_outbox_message_message_kind"
KINDS = (
    "confirmed",
    "waitlisted",
    "promoted",
    "cancelled",
    "already_registered",
    "event_changed",
    "event_cancelled",
    "reminder",
)
NEW_KINDS = (*KINDS, "organiser_message")


def _allow(kinds):
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CONSTRAINT), type_="check")
        batch_op.create_check_constraint(op.f(CONSTRAINT), sa.text(f"kind IN ({listed})"))


def upgrade():
    _allow(NEW_KINDS)


def downgrade():
    # The old constraint cannot hold organiser messages: they go with it.
    op.execute("DELETE FROM outbox_message WHERE kind = 'organiser_message'")
    _allow(KINDS)
