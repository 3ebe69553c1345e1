"""Seat counts on the event row, kept by the database

``event.confirmed_count`` and ``event.waitlisted_count`` count the event's
registrations by status. Triggers on ``registration`` keep them, whoever
inserts, deletes or changes a status: the application never writes them.

Why: registering reads the counts while it holds the event's lock, and
counting the rows took longer the longer the waitlist grew. On PostgreSQL the
counts now come back with the lock itself: ``SELECT … FOR UPDATE`` returns the
row as the previous holder left it.

On SQLite, an Alembic batch operation (which rebuilds a table) on
``registration`` drops these triggers, and one on ``event`` fails on them: such
a migration must drop them first and create them again (``drop_triggers``,
``create_triggers``). tests/registrations/test_seat_counts.py fails when a
trigger is missing.

Revision ID: 0006_seat_counts
Revises: 0005_organiser_messages
Create Date: 2026-11-27 10:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006_seat_counts"
down_revision = "0005_organiser_messages"
branch_labels = None
depends_on = None

COUNTS = ("confirmed_count", "waitlisted_count")
COUNT_EXISTING = """
UPDATE event SET
    confirmed_count = (SELECT count(*) FROM registration
                       WHERE registration.event_id = event.id AND registration.status = 'confirmed'),
    waitlisted_count = (SELECT count(*) FROM registration
                        WHERE registration.event_id = event.id AND registration.status = 'waitlisted')
"""

POSTGRESQL_FUNCTION = """
CREATE FUNCTION registration_seat_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.event_id = NEW.event_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE event SET
            confirmed_count = confirmed_count - (OLD.status = 'confirmed')::int,
            waitlisted_count = waitlisted_count - (OLD.status = 'waitlisted')::int
        WHERE id = OLD.event_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE event SET
            confirmed_count = confirmed_count + (NEW.status = 'confirmed')::int,
            waitlisted_count = waitlisted_count + (NEW.status = 'waitlisted')::int
        WHERE id = NEW.event_id;
    END IF;
    RETURN NULL;
END
$$
"""
POSTGRESQL_TRIGGER = """
CREATE TRIGGER registration_seat_counts
AFTER INSERT OR DELETE OR UPDATE OF status, event_id ON registration
FOR EACH ROW EXECUTE FUNCTION registration_seat_counts()
"""

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


def create_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(POSTGRESQL_TRIGGER)
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def drop_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER registration_seat_counts ON registration")
        op.execute("DROP FUNCTION registration_seat_counts()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")


def upgrade():
    for column in COUNTS:
        op.add_column("event", sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
    op.execute(COUNT_EXISTING)
    create_triggers()


def downgrade():
    drop_triggers()
    # Not a batch operation: on SQLite that copies the event table and drops the
    # old one, and dropping it deletes every registration through the foreign key.
    for column in COUNTS:
        op.execute(f"ALTER TABLE event DROP COLUMN {column}")
