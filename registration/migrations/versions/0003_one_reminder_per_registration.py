"""One day-before reminder per registration

Revision ID: 0003_one_reminder
Revises: 0002_coalition_cities
Create Date: 2026-11-27 07:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0003_one_reminder'
down_revision = '0002_coalition_cities'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(
            'uq_outbox_message_reminder', ['registration_id'], unique=True,
            sqlite_where=sa.text("kind = 'reminder'"),
            postgresql_where=sa.text("kind = 'reminder'"),
        )


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('uq_outbox_message_reminder')
