"""Coalition rules: home cities, city allocations, approval, institution caps

- ``registration.home_city_id``: the coalition city a registrant works for (NULL:
  another city, named in ``city``). Filled here where the city typed names a
  coalition city, whatever the case, spaces and diacritics.
- ``registration.institution_key``: the institution folded for comparison, which an
  event's institution cap counts by; filled here, NULL for anonymised registrations.
- ``registration.waitlisted_at``, ``promoted_at``: the waitlist's outcomes for
  reports, filled from the messages sent (a "promoted" email means a seat came).
- ``registration.decided_at``, and ``status`` admits ``pending`` and ``rejected``;
  a pending request is active (one per event and address, the partial unique index).
- ``event.approval``, ``institution_cap``, ``allocation_release_at``,
  ``allocations_released_at``, ``allocated_seats`` (their sum, read with the seat
  lock), and the table ``city_allocation``.
- ``outbox_message.kind`` admits ``pending`` and ``rejected``.

SQLite changes the CHECK on ``registration.status`` by copying the table (Alembic's
batch mode). Dropping the old table would delete, through the cascading foreign
keys, every outbox message and attendance of a registration, and set the audit
log's references to NULL; so those are set aside and put back, as in 0014. The
copy also loses the seat-count triggers of 0006 and the partial unique index,
which are made again.

Revision ID: 0017_coalition_rules
Revises: 0016_account_names
Create Date: 2026-12-05 11:00:00

"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0017_coalition_rules"
down_revision = "0016_account_names"
branch_labels = None
depends_on = None

STATUS_CONSTRAINT = "ck_registration_registration_status"
STATUSES = ("confirmed", "waitlisted", "cancelled")
NEW_STATUSES = (*STATUSES, "pending", "rejected")

ACTIVE_INDEX = "uq_registration_active_email"
ACTIVE = "status IN ('confirmed', 'waitlisted')"
NEW_ACTIVE = "status IN ('confirmed', 'waitlisted', 'pending')"

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
    "account_invitation",
    "password_reset",
)
NEW_KINDS = (*KINDS, "pending", "rejected")

# The triggers of 0006, as they are made again after SQLite's copy of the table.
_ADD_NEW = """
    UPDATE event SET
        confirmed_count = confirmed_count + (NEW.status = 'confirmed'),
        waitlisted_count = waitlisted_count + (NEW.status = 'waitlisted')
    WHERE id = NEW.event_id;"""
_TAKE_OLD = """
    UPDATE event SET
        confirmed_count = confirmed_count - (OLD.status = 'confirmed'),
        waitlisted_count = waitlisted_count - (OLD.status = 'waitlisted')
    WHERE id = OLD.event_id;"""
SQLITE_TRIGGERS = {
    "registration_seat_counts_insert": f"AFTER INSERT ON registration BEGIN{_ADD_NEW}\nEND",
    "registration_seat_counts_delete": f"AFTER DELETE ON registration BEGIN{_TAKE_OLD}\nEND",
    "registration_seat_counts_update": (
        "AFTER UPDATE OF status, event_id ON registration "
        "WHEN OLD.status IS NOT NEW.status OR OLD.event_id IS NOT NEW.event_id "
        f"BEGIN{_TAKE_OLD}{_ADD_NEW}\nEND"
    ),
}

HOME_CITY_KEY = "fk_registration_home_city_id_city"
NEW_REGISTRATION_COLUMNS = (
    "home_city_id",
    "institution_key",
    "waitlisted_at",
    "promoted_at",
    "decided_at",
)

#: What refers to ``registration``, kept aside while SQLite copies it.
KEPT_TABLES = ("outbox_message", "attendance")


def _listed(values):
    return ", ".join(f"'{value}'" for value in values)


def _fold(text):
    """As ``registration.i18n.fold``: lower case, no diacritics, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.casefold().split())


def _institution_key(institution):
    """As ``registrations.coalition.institution_key`` when this was written."""
    decomposed = unicodedata.normalize("NFKC", institution)
    kept = "".join(char if char.isalnum() else " " for char in decomposed.casefold())
    return " ".join(kept.split())[:200]


def _allow_statuses(statuses, active, also=None):
    """Admit ``statuses``, the partial unique index over ``active`` ones; ``also`` changes
    the table further in the same copy."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    op.drop_index(ACTIVE_INDEX, table_name="registration")
    if sqlite:
        for table in KEPT_TABLES:
            op.execute(f"CREATE TEMPORARY TABLE kept_{table} AS SELECT * FROM {table}")  # noqa: S608
        op.execute(
            "CREATE TEMPORARY TABLE kept_audit_subject AS "
            "SELECT id, registration_id FROM audit_entry WHERE registration_id IS NOT NULL"
        )
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(STATUS_CONSTRAINT), type_="check")
        batch_op.create_check_constraint(
            op.f(STATUS_CONSTRAINT), sa.text(f"status IN ({_listed(statuses)})")
        )
        if also is not None:
            also(batch_op)
    if sqlite:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        for table in KEPT_TABLES:
            op.execute(f"DELETE FROM {table}")  # noqa: S608  (our own table names)
            op.execute(f"INSERT INTO {table} SELECT * FROM kept_{table}")  # noqa: S608
            op.execute(f"DROP TABLE kept_{table}")
        op.execute(
            "UPDATE audit_entry SET registration_id = (SELECT kept.registration_id "
            "FROM kept_audit_subject AS kept WHERE kept.id = audit_entry.id) "
            "WHERE id IN (SELECT id FROM kept_audit_subject)"
        )
        op.execute("DROP TABLE kept_audit_subject")
    op.create_index(
        ACTIVE_INDEX,
        "registration",
        ["event_id", "email"],
        unique=True,
        sqlite_where=sa.text(active),
        postgresql_where=sa.text(active),
    )


def _allow_kinds(kinds):
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(KIND_CONSTRAINT), type_="check")
        batch_op.create_check_constraint(
            op.f(KIND_CONSTRAINT), sa.text(f"kind IN ({_listed(kinds)})")
        )


def _fill_registrations():
    bind = op.get_bind()
    cities = {
        _fold(name): city_id
        for city_id, name in bind.execute(sa.text("SELECT id, name FROM city WHERE coalition"))
    }
    rows = bind.execute(
        sa.text("SELECT id, city, institution, anonymised_at IS NULL FROM registration")
    ).all()
    update = sa.text(
        "UPDATE registration SET home_city_id = :home_city_id, institution_key = :key "
        "WHERE id = :id"
    )
    values = [
        {
            "id": registration_id,
            "home_city_id": cities.get(_fold(city)),
            "key": _institution_key(institution) if kept else None,
        }
        for registration_id, city, institution, kept in rows
    ]
    if values:
        bind.execute(update, values)
    # A "waitlisted" email is sent when a person joins the line, a "promoted" one when a
    # seat comes to them: the only record of the waitlist's outcomes kept so far.
    op.execute(
        "UPDATE registration SET waitlisted_at = ("
        "SELECT min(created_at) FROM outbox_message AS message "
        "WHERE message.registration_id = registration.id AND message.kind = 'waitlisted')"
    )
    op.execute(
        "UPDATE registration SET waitlisted_at = created_at "
        "WHERE waitlisted_at IS NULL AND status = 'waitlisted'"
    )
    op.execute(
        "UPDATE registration SET promoted_at = ("
        "SELECT min(created_at) FROM outbox_message AS message "
        "WHERE message.registration_id = registration.id AND message.kind = 'promoted')"
    )


def upgrade():
    # Nullable columns and columns with a constant default are added in place on SQLite.
    op.add_column("event", sa.Column("approval", sa.Boolean(), nullable=False, server_default="0"))
    op.add_column("event", sa.Column("institution_cap", sa.Integer(), nullable=True))
    op.add_column(
        "event", sa.Column("allocation_release_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "event", sa.Column("allocations_released_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "event", sa.Column("allocated_seats", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_table(
        "city_allocation",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.CheckConstraint("seats > 0", name=op.f("ck_city_allocation_seats_positive")),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_city_allocation_city_id_city")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_city_allocation_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "city_id", name=op.f("pk_city_allocation")),
    )
    for column in ("waitlisted_at", "promoted_at", "decided_at"):
        op.add_column("registration", sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    op.add_column("registration", sa.Column("institution_key", sa.String(200), nullable=True))
    # The foreign key comes with the copy of the table below (SQLite adds none in place).
    op.add_column("registration", sa.Column("home_city_id", sa.Integer(), nullable=True))
    _fill_registrations()
    _allow_statuses(
        NEW_STATUSES,
        NEW_ACTIVE,
        also=lambda batch_op: batch_op.create_foreign_key(
            op.f(HOME_CITY_KEY), "city", ["home_city_id"], ["id"]
        ),
    )
    op.create_index(
        "ix_registration_event_institution", "registration", ["event_id", "institution_key"]
    )
    _allow_kinds(NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM outbox_message WHERE kind IN ('pending', 'rejected')")
    _allow_kinds(KINDS)
    # The old schema knows no request: a pending one is withdrawn, a rejected one stays so.
    op.execute(
        "UPDATE registration SET status = 'cancelled', "
        "cancelled_at = coalesce(decided_at, created_at) WHERE status IN ('pending', 'rejected')"
    )
    op.drop_index("ix_registration_event_institution", table_name="registration")

    def drop_columns(batch_op):
        batch_op.drop_constraint(op.f(HOME_CITY_KEY), type_="foreignkey")
        for column in NEW_REGISTRATION_COLUMNS:
            batch_op.drop_column(column)

    _allow_statuses(STATUSES, ACTIVE, also=drop_columns)
    op.drop_table("city_allocation")
    for column in (
        "allocated_seats",
        "allocations_released_at",
        "allocation_release_at",
        "institution_cap",
        "approval",
    ):
        op.drop_column("event", column)
