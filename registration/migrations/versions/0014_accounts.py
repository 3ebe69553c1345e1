"""Accounts in the browser: door staff, named and expiring API tokens, account emails

- ``account.role`` admits ``check_in``: door staff of one city, who find people and
  check them in, and nothing else. Like an organiser, they have a city (the CHECK
  ``organiser_has_city`` already asks that of every role but admin).
- ``api_token.name`` (what the token is for; "CLI" for every existing token, which
  the command line made) and ``api_token.expires_at`` (none: until revoked).
- ``outbox_message.kind`` admits ``account_invitation`` and ``password_reset``, the
  emails that carry the link to set a password.

SQLite changes a CHECK constraint by copying the table (Alembic's batch mode). Copying
``account`` drops the old table, and with foreign keys on, dropping it deletes what
refers to it: sessions and API tokens (cascading) and the audit log's authors (set to
NULL). So on SQLite those are set aside first and put back after the copy, with the
same ids. ``outbox_message`` and ``api_token`` are copied as in 0011: nothing refers
to them.

Revision ID: 0014_accounts
Revises: 0013_retention
Create Date: 2026-12-05 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014_accounts"
down_revision = "0013_retention"
branch_labels = None
depends_on = None

ROLE_CONSTRAINT = "ck_account_account_role"
ROLES = ("admin", "organiser")
NEW_ROLES = (*ROLES, "check_in")

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
    "data_link",
)
NEW_KINDS = (*KINDS, "account_invitation", "password_reset")

#: What refers to ``account``, kept aside while SQLite copies it.
KEPT_TABLES = ("account_session", "api_token")


def _listed(values):
    return ", ".join(f"'{value}'" for value in values)


def _allow_kinds(kinds):
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(KIND_CONSTRAINT), type_="check")
        batch_op.create_check_constraint(
            op.f(KIND_CONSTRAINT), sa.text(f"kind IN ({_listed(kinds)})")
        )


def _allow_roles(roles):
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for table in KEPT_TABLES:
            op.execute(f"CREATE TEMPORARY TABLE kept_{table} AS SELECT * FROM {table}")  # noqa: S608
        op.execute(
            "CREATE TEMPORARY TABLE kept_audit_author AS "
            "SELECT id, account_id FROM audit_entry WHERE account_id IS NOT NULL"
        )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(ROLE_CONSTRAINT), type_="check")
        batch_op.create_check_constraint(
            op.f(ROLE_CONSTRAINT), sa.text(f"role IN ({_listed(roles)})")
        )
    if sqlite:
        for table in KEPT_TABLES:
            op.execute(f"DELETE FROM {table}")  # noqa: S608  (our own table names)
            op.execute(f"INSERT INTO {table} SELECT * FROM kept_{table}")  # noqa: S608
            op.execute(f"DROP TABLE kept_{table}")
        op.execute(
            "UPDATE audit_entry SET account_id = (SELECT kept.account_id FROM kept_audit_author "
            "AS kept WHERE kept.id = audit_entry.id) "
            "WHERE id IN (SELECT id FROM kept_audit_author)"
        )
        op.execute("DROP TABLE kept_audit_author")


def upgrade():
    # Named and dated first, so that the copy of ``account`` below keeps these columns.
    op.add_column(
        "api_token",
        sa.Column("name", sa.String(length=100), nullable=False, server_default="CLI"),
    )
    op.add_column("api_token", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column("name", server_default=None)
    _allow_roles(NEW_ROLES)
    _allow_kinds(NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM outbox_message WHERE kind IN ('account_invitation', 'password_reset')")
    _allow_kinds(KINDS)
    # Door staff cannot stay: the old schema has no role for them.
    op.execute("DELETE FROM account WHERE role = 'check_in'")
    _allow_roles(ROLES)
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("name")
