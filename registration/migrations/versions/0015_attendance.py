"""Attendance per day: who was checked in at the door, on which Warsaw day

- ``attendance``: one row per registration and day, with the time of the
  check-in and the account that made it. A multi-day study visit records each
  day; ``registration.checked_in_at`` stays the first check-in.
- Every registration already checked in gets the row of its day, computed here
  in Python: SQLite has no time zones, and the day is Warsaw's.

A new table only: nothing is copied, so the seat-count triggers of 0006 stay.

Revision ID: 0015_attendance
Revises: 0014_accounts
Create Date: 2026-12-05 08:00:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# The one name of the service's time zone: a check-in's day is Warsaw's, here as in the code.
from registration.i18n import WARSAW

revision = "0015_attendance"
down_revision = "0014_accounts"
branch_labels = None
depends_on = None


def upgrade():
    attendance = op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_attendance_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_attendance_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("registration_id", "day", name=op.f("uq_attendance_registration_id")),
    )
    bind = op.get_bind()
    checked_in = bind.execute(
        sa.text("SELECT id, checked_in_at FROM registration WHERE checked_in_at IS NOT NULL")
    )
    rows = []
    for registration_id, stored in checked_in:
        at = _aware(stored)
        rows.append(
            {
                "registration_id": registration_id,
                "day": at.astimezone(WARSAW).date(),
                # Stored as UTCDateTime stores it: naive UTC text on SQLite.
                "checked_in_at": at.replace(tzinfo=None) if bind.dialect.name == "sqlite" else at,
                "account_id": None,
            }
        )
    if rows:
        op.bulk_insert(attendance, rows)


def downgrade():
    op.drop_table("attendance")


def _aware(value):
    """A stored time as UTC: SQLite gives back text or a naive time, PostgreSQL an aware one."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
