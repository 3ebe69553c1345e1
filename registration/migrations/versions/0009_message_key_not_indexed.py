"""Message keys are not indexed: one index entry less written under the seat lock

``outbox_message.message_key`` is the left part of a message's ``Message-ID``:
128 random bits, drawn once when the message is queued. Nothing looks a message
up by it, and two messages drawing the same key is as likely as guessing a
manage token, so its unique constraint only cost an index entry, in a random
page, for every message queued, and every registration queues one while the
event's lock is held. SQLite drops a constraint by copying the table (Alembic's
batch mode), as 0007 did for this table: nothing refers to it.

Revision ID: 0009_message_key_not_indexed
Revises: 0008_normalised_addresses
Create Date: 2026-12-12 23:00:00

"""

from alembic import op

revision = "0009_message_key_not_indexed"
down_revision = "0008_normalised_addresses"
branch_labels = None
depends_on = None

CONSTRAINT = "uq_outbox_message_message_key"


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CONSTRAINT), type_="unique")


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_unique_constraint(op.f(CONSTRAINT), ["message_key"])
