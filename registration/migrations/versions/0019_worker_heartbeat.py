"""Worker heartbeats, and the request id on queued messages

- ``worker_heartbeat``: one row per running mail worker process (its host, pid, when it
  started and last beat, the batches and messages it handled), so that every web host's
  ``/readyz`` and ``/metrics`` see the workers of every host through the shared database.
- ``outbox_message.request_id``: the id of the request that queued the message, for its
  ``X-Request-ID`` header and the worker's log lines (nullable, added in place: the
  table is not copied, as in 0018's ``event.certificate_hours``).

Revision ID: 0019_worker_heartbeat
Revises: 0018_certificates
Create Date: 2026-12-05 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019_worker_heartbeat"
down_revision = "0018_certificates"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_heartbeat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("jobs_run", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_heartbeat")),
        sa.UniqueConstraint("name", name=op.f("uq_worker_heartbeat_name")),
    )
    op.add_column("outbox_message", sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade():
    # SQLite drops a column in place since 3.35; nothing refers to it.
    op.drop_column("outbox_message", "request_id")
    op.drop_table("worker_heartbeat")
