"""Database plumbing shared by every domain package: time columns and engine set-up.

Seats are counted under a lock (see ``registrations.services``). PostgreSQL
gives us row locks. SQLite has none: a transaction that may write must take the
database's write lock when it begins (``BEGIN IMMEDIATE``), otherwise two
processes could both read "one seat left" and the later one would fail on
commit with "database is locked" instead of waiting its turn.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import has_request_context, request
from sqlalchemy import DateTime, Engine, Enum, event
from sqlalchemy.types import TypeDecorator

# Requests with these methods never change state (SPEC section 8), so on SQLite
# they may read in a deferred transaction, beside a writer.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_TIMEOUT_SECONDS = 30


_reading_only: ContextVar[bool] = ContextVar("reading_only", default=False)


@contextmanager
def reading_only() -> Iterator[None]:
    """Mark transactions begun inside as readers: on SQLite they then take no write lock.

    For work outside a request that reads for a while and writes nothing, such
    as composing an email; it must end its transaction before leaving.
    """
    token = _reading_only.set(True)
    try:
        yield
    finally:
        _reading_only.reset(token)


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware instant stored in UTC.

    PostgreSQL keeps it as ``timestamptz``; SQLite has no time type, so it gets
    UTC text that sorts and compares correctly. Naive datetimes are refused:
    a time without a zone is a bug waiting for the next DST change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware instants")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    """A portable enum: a VARCHAR with a CHECK constraint, storing the member's value."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def render_migration_type(type_: str, obj, autogen_context):
    """Write ``UTCDateTime`` columns into migrations as plain ``sa.DateTime(timezone=True)``.

    Migrations must not import application code, which changes after they are written.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def engine_options(database_url: str) -> dict:
    """Engine options for the backend named by the URL."""
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}}
    return {
        # A restarted database leaves dead connections in the pool: test before use.
        "pool_pre_ping": True,
        "connect_args": {"connect_timeout": 5},
    }


def configure_engine(engine: Engine) -> None:
    """Install the per-backend connection behaviour described in the module docstring."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        # WAL lets readers go on while one writer holds the lock.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        reading = _reading_only.get() or (
            has_request_context() and request.method in READ_ONLY_METHODS
        )
        if reading:
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
