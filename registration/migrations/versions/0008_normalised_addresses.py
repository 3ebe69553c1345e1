"""Addresses stored under the old rule, brought to the new one

Addresses used to be normalised by trimming and lower-casing only; since
0007's release they are also brought to Unicode NFC and their domain to ASCII
(IDNA), so that every spelling of one mailbox is one address. Rows stored
before then keep their old spelling, and a new registration in the new one
would not find them: one mailbox could hold two seats, and an organiser with
a Unicode domain could no longer sign in. This brings every stored address to
the new form.

- Participants whose addresses become one are merged into the oldest: the
  others' registrations move to it, and the others go (their feed addresses
  with them; the next email brings the merged one).
- A registration that would then collide with another active one of the same
  event and mailbox (two seats for one person) keeps its old spelling and is
  listed, for an organiser to cancel one of them. So is an account whose
  address is taken by another spelling.

The rule is written out here rather than imported: a migration must keep
meaning what it meant when it was written.

Revision ID: 0008_normalised_addresses
Revises: 0007_separate_secrets
Create Date: 2026-12-05 00:10:00

"""

import logging
import unicodedata

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email

revision = "0008_normalised_addresses"
down_revision = "0007_separate_secrets"
branch_labels = None
depends_on = None

MAX_EMAIL_LENGTH = 254
ACTIVE = "status IN ('confirmed', 'waitlisted')"
log = logging.getLogger("alembic.runtime.migration")


def normalised(email):
    """registration.registrations.models.normalise_email as of this revision."""
    address = unicodedata.normalize("NFC", email.strip())
    if len(address) <= MAX_EMAIL_LENGTH:
        try:
            valid = validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            pass
        else:
            local_part = unicodedata.normalize("NFC", valid.local_part.lower())
            return f"{local_part}@{valid.ascii_domain}"
    return unicodedata.normalize("NFC", address.lower())


def _changes(connection, table, column="email"):
    query = f"SELECT id, {column} FROM {table} ORDER BY id"  # noqa: S608 (names of ours)
    rows = connection.execute(sa.text(query)).all()
    return [(id_, old, normalised(old)) for id_, old in rows if normalised(old) != old]


def _merge_participants(connection):
    for id_, _old, new in _changes(connection, "participant"):
        keeper = connection.execute(
            sa.text("SELECT id FROM participant WHERE email = :email"), {"email": new}
        ).scalar()
        if keeper is None:
            connection.execute(
                sa.text("UPDATE participant SET email = :email WHERE id = :id"),
                {"email": new, "id": id_},
            )
            continue
        keeper, gone = min(keeper, id_), max(keeper, id_)
        connection.execute(
            sa.text("UPDATE registration SET participant_id = :keeper WHERE participant_id = :gone"),
            {"keeper": keeper, "gone": gone},
        )
        connection.execute(sa.text("DELETE FROM participant WHERE id = :gone"), {"gone": gone})
        connection.execute(
            sa.text("UPDATE participant SET email = :email WHERE id = :id"),
            {"email": new, "id": keeper},
        )


def _normalise_registrations(connection):
    for id_, old, new in _changes(connection, "registration"):
        query = f"SELECT event_id, {ACTIVE} FROM registration WHERE id = :id"  # noqa: S608
        row = connection.execute(sa.text(query), {"id": id_}).one()
        event_id, active = row[0], bool(row[1])
        query = f"SELECT id FROM registration WHERE event_id = :event AND email = :email AND {ACTIVE}"  # noqa: S608
        twin = connection.execute(sa.text(query), {"event": event_id, "email": new}).scalar()
        if active and twin is not None:
            log.warning(
                "registrations %s and %s of event %s are one mailbox; %s keeps the address "
                "%r: cancel one of them",
                twin,
                id_,
                event_id,
                id_,
                old,
            )
            continue
        connection.execute(
            sa.text("UPDATE registration SET email = :email WHERE id = :id"),
            {"email": new, "id": id_},
        )


def _normalise_accounts(connection):
    for id_, old, new in _changes(connection, "account"):
        taken = connection.execute(
            sa.text("SELECT id FROM account WHERE email = :email"), {"email": new}
        ).scalar()
        if taken is not None:
            log.warning("accounts %s and %s are one mailbox; %s keeps %r", taken, id_, id_, old)
            continue
        connection.execute(
            sa.text("UPDATE account SET email = :email WHERE id = :id"), {"email": new, "id": id_}
        )


def upgrade():
    connection = op.get_bind()
    _merge_participants(connection)
    _normalise_registrations(connection)
    _normalise_accounts(connection)
    for id_, _old, new in _changes(connection, "outbox_message", "recipient"):
        connection.execute(
            sa.text("UPDATE outbox_message SET recipient = :email WHERE id = :id"),
            {"email": new, "id": id_},
        )


def downgrade():
    # The old spellings are not kept, and the old rule reads the new ones as well.
    pass
