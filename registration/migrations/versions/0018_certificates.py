"""Certificates of attendance: their codes, and the email that carries them

- ``certificate``: one per registration, made when its certificate is first issued,
  with the short code that the public verification page takes.
- ``event.certificate_hours``: the hours the certificates state, when organisers give
  them (nullable, added in place: the table is not copied).
- ``outbox_message.kind`` admits ``certificate``, the email the day after the event,
  and a partial unique index sends it once per registration, as 0003 does for the
  reminder, however many workers run.

A new table, and ``outbox_message`` copied on SQLite as in 0014 (nothing refers to it);
neither ``registration`` nor ``event`` is touched.

Revision ID: 0018_certificates
Revises: 0017_coalition_rules
Create Date: 2026-12-05 10:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018_certificates"
down_revision = "0017_coalition_rules"
branch_labels = None
depends_on = None

KIND_CONSTRAINT = "ck_outbox_message_message_kind"
#: Every kind the outbox admitted before this revision (0014's list and 0017's).
KINDS_BEFORE_CERTIFICATES = (
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
    "data_link",
    "account_invitation",
    "password_reset",
    "pending",
    "rejected",
)
KINDS_WITH_CERTIFICATES = (*KINDS_BEFORE_CERTIFICATES, "certificate")
ONE_CERTIFICATE_EMAIL = "uq_outbox_message_certificate"


def _listed(values):
    return ", ".join(f"'{value}'" for value in values)


def _allow_kinds(kinds):
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(KIND_CONSTRAINT), type_="check")
        batch_op.create_check_constraint(
            op.f(KIND_CONSTRAINT), sa.text(f"kind IN ({_listed(kinds)})")
        )


def upgrade():
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=14), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_certificate_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("code", name=op.f("uq_certificate_code")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_certificate_registration_id")),
    )
    # A nullable column is added in place, on SQLite too: ``event`` is never copied (its
    # registrations would go with it, and the seat-count triggers of 0006).
    op.add_column("event", sa.Column("certificate_hours", sa.Integer(), nullable=True))
    _allow_kinds(KINDS_WITH_CERTIFICATES)
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            ONE_CERTIFICATE_EMAIL,
            ["registration_id"],
            unique=True,
            sqlite_where=sa.text("kind = 'certificate'"),
            postgresql_where=sa.text("kind = 'certificate'"),
        )


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(ONE_CERTIFICATE_EMAIL)
    op.execute("DELETE FROM outbox_message WHERE kind = 'certificate'")
    _allow_kinds(KINDS_BEFORE_CERTIFICATES)
    # Not in batch mode, for the same reason; SQLite drops a column in place since 3.35.
    op.drop_column("event", "certificate_hours")
    op.drop_table("certificate")
