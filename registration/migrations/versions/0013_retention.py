"""Retention and a person's own data: anonymised rows, and the data-link email

- ``registration.anonymised_at`` and ``participant.anonymised_at``: when the
  personal data of a registration, or a participant's address and name, were
  replaced (``registration.privacy.retention``). NULL for every existing row.
- ``outbox_message.kind`` admits ``data_link``, the email that carries the
  link to a person's own data, asked for on ``/privacy``.

The columns are nullable without a default, so SQLite adds them in place: copying
``registration`` (Alembic's batch mode) would delete every outbox message through
the cascading foreign key and drop the seat-count triggers of 0006. The kind's
CHECK constraint is changed as in 0011, by copying ``outbox_message``, which
nothing refers to.

Revision ID: 0013_retention
Revises: 0012_event_data_controller
Create Date: 2026-12-05 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_retention"
down_revision = "0012_event_data_controller"
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
    "manage_link",
)
NEW_KINDS = (*KINDS, "data_link")


def _allow(kinds):
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(KIND_CONSTRAINT), type_="check")
        batch_op.create_check_constraint(op.f(KIND_CONSTRAINT), sa.text(f"kind IN ({listed})"))


def upgrade():
    for table in ("registration", "participant"):
        op.add_column(table, sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
    _allow(NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM outbox_message WHERE kind = 'data_link'")
    _allow(KINDS)
    # Not a batch operation (see above): SQLite drops a column in place since 3.35.
    for table in ("participant", "registration"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN anonymised_at")
