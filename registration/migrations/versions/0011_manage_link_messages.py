"""Manage-link messages: the link asked for again on the lost-link page

``outbox_message.kind`` admits ``manage_link``, the email that carries a
registration's manage link to its address when somebody asks for it on the
event page ("Lost your link?"). As in 0007, SQLite changes the check
constraint by copying the table (Alembic's batch mode): nothing refers to it.

Revision ID: 0011_manage_link_messages
Revises: 0010_event_details
Create Date: 2026-12-20 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_manage_link_messages"
down_revision = "0010_event_details"
branch_labels = None
depends_on = None

KIND_CONSTRAINT = "ck_outbox_message_message_kind"
KINDS = (
    "confirmed",
    "waitlisted",
    "promoted",
    "cancelled",
    "already_registered",
    "event_changed",
    "event_cancelled",
    "reminder",
    "organiser_message",
    "feed_replaced",
)
NEW_KINDS = (*KINDS, "manage_link")


def _allow(kinds):
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(KIND_CONSTRAINT), type_="check")
        batch_op.create_check_constraint(op.f(KIND_CONSTRAINT), sa.text(f"kind IN ({listed})"))


def upgrade():
    _allow(NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM outbox_message WHERE kind = 'manage_link'")
    _allow(KINDS)
