"""Separate secrets: check-in codes, per-registration languages, server-side sessions

- ``registration.check_in_code``: the ticket's QR code carried the manage token,
  so a photo of a ticket let anyone cancel it. Every registration gets its own
  random code (existing ones here), and the ticket carries only that.
- ``registration.language``: the language of a registration's emails, filled
  from its participant. A registration made in someone's name no longer
  changes the language (or name) stored for that person's other registrations.
- ``outbox_message.claim``: which delivery worker's claim holds a message, so a
  worker whose lease ran out never sends a message that another has claimed.
- ``outbox_message.kind`` admits ``feed_replaced``: the email that carries a
  participant's new personal calendar address.
- ``account_session``: signed-in browsers known to the server, so that signing
  out or deactivating an account ends its sessions for good.

The new registration columns are added with a constant server default and then
filled: SQLite cannot add a NOT NULL column without one, and copying the
``registration`` table (Alembic's batch mode) would delete every outbox message
through the cascading foreign key and drop the seat-count triggers of 0006.
For the same reason the check-in code is unique by an index, not a constraint.

Revision ID: 0007_separate_secrets
Revises: 0006_seat_counts
Create Date: 2026-12-04 23:00:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0007_separate_secrets"
down_revision = "0006_seat_counts"
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
)
NEW_KINDS = (*KINDS, "feed_replaced")


def _allow(kinds):
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(KIND_CONSTRAINT), type_="check")
        batch_op.create_check_constraint(op.f(KIND_CONSTRAINT), sa.text(f"kind IN ({listed})"))


def upgrade():
    op.add_column(
        "registration",
        sa.Column("check_in_code", sa.String(length=64), nullable=False, server_default=""),
    )
    op.add_column(
        "registration",
        sa.Column("language", sa.String(length=2), nullable=False, server_default="pl"),
    )
    connection = op.get_bind()
    ids = connection.execute(sa.text("SELECT id FROM registration")).scalars().all()
    if ids:
        connection.execute(
            sa.text("UPDATE registration SET check_in_code = :code WHERE id = :id"),
            [{"id": id_, "code": secrets.token_urlsafe(32)} for id_ in ids],
        )
    op.execute(
        "UPDATE registration SET language = (SELECT participant.language FROM participant "
        "WHERE participant.id = registration.participant_id)"
    )
    op.create_index(
        "uq_registration_check_in_code", "registration", ["check_in_code"], unique=True
    )
    if connection.dialect.name == "postgresql":
        # The application always writes both; a row without a code must fail, not get ''.
        op.execute("ALTER TABLE registration ALTER COLUMN check_in_code DROP DEFAULT")

    op.add_column("outbox_message", sa.Column("claim", sa.String(length=32), nullable=True))
    _allow(NEW_KINDS)

    op.create_table(
        "account_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_session_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_session")),
        sa.UniqueConstraint("digest", name=op.f("uq_account_session_digest")),
    )
    op.create_index(
        op.f("ix_account_session_account_id"), "account_session", ["account_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_account_session_account_id"), table_name="account_session")
    op.drop_table("account_session")

    op.execute("DELETE FROM outbox_message WHERE kind = 'feed_replaced'")
    _allow(KINDS)
    op.execute("ALTER TABLE outbox_message DROP COLUMN claim")

    op.drop_index("uq_registration_check_in_code", table_name="registration")
    # Not a batch operation (see above); the participant keeps one language for all.
    op.execute("ALTER TABLE registration DROP COLUMN language")
    op.execute("ALTER TABLE registration DROP COLUMN check_in_code")
