"""Database plumbing shared by every domain package: time columns and engine set-up.

Seats are counted under a lock (see ``registrations.services``). PostgreSQL
gives us row locks. SQLite has none: a transaction that may write must take the
database's write lock when it begins (``BEGIN IMMEDIATE``), otherwise two
processes could both read "one seat left" and the later one would fail on
commit with "database is locked" instead of waiting its turn. It is SQLAlchemy's
documented recipe for pysqlite: the driver is told not to begin transactions
itself (``isolation_level = None``), and a ``begin`` listener issues the
``BEGIN``. A writer that finds the lock taken waits in SQLite's busy handler,
for up to ``SQLITE_BUSY_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import has_request_context, request
from sqlalchemy import DateTime, Engine, Enum, Executable, event
from sqlalchemy.types import TypeDecorator
from werkzeug.routing import IntegerConverter

from registration.extensions import db

# Requests with these methods never change state (docs/registrations.md, pages), so on SQLite
# they may read in a deferred transaction, beside a writer.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_TIMEOUT_SECONDS = 30
#: The largest value of PostgreSQL's ``integer``, the type of every id column.
LARGEST_ID = 2**31 - 1


_reading_only: ContextVar[bool] = ContextVar("reading_only", default=False)
_writing_aside: ContextVar[bool] = ContextVar("writing_aside", default=False)


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


def reading_now() -> bool:
    """Whether a transaction begun now would be a reader: inside ``reading_only``, or in a
    request whose method never changes state."""
    return _reading_only.get() or (has_request_context() and request.method in READ_ONLY_METHODS)


def write_aside(statement: Executable) -> None:
    """Run a small bookkeeping write (when a token was last used) without turning a reader
    into a writer.

    A reader (a GET) runs it on a connection of its own, in a short writing transaction
    committed at once: on SQLite, a write inside the request's deferred read transaction
    can fail with "database is locked" at once, and on PostgreSQL it would keep the row
    locked for the rest of the request. A writer runs it in its own transaction, to be
    committed with its work: on SQLite that transaction holds (or will take) the write
    lock, and another connection of the same thread would wait for it in vain.
    """
    if not reading_now():
        db.session.execute(statement)
        return
    token = _writing_aside.set(True)
    try:
        with db.engine.begin() as connection:
            connection.execute(statement)
    finally:
        _writing_aside.reset(token)


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a whole number an id column can hold, else no match (404).

    Werkzeug's own converter hands the view any number, and the database fails on
    one it cannot hold (PostgreSQL's integer ends at 2^31 - 1, SQLite's at 2^63 - 1).
    """

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def page_within(requested: int, *, total: int, per_page: int) -> tuple[int, int]:
    """The page to show of ``total`` rows, and how many pages there are.

    A URL can ask for any page: below the first it gets the first, past the last
    the last, and so never an offset the database cannot take.
    """
    pages = max((total + per_page - 1) // per_page, 1)
    return min(max(requested, 1), pages), pages


def storable(text: str) -> bool:
    """Whether both databases can hold ``text``, and so be asked about it.

    PostgreSQL refuses a NUL character in any text, even in a query's parameter,
    with an error (a 500); SQLite takes it. No name, address or slug of ours has one.
    """
    return "\x00" not in text


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


def engine_options(database_url: str, *, prepared_statements: bool = True) -> dict:
    """Engine options for the backend named by the URL.

    :param prepared_statements: whether psycopg may prepare statements on the server
        (``DATABASE_PREPARED_STATEMENTS``, docs/scaling.md). A pooler in transaction mode
        (PgBouncer's ``pool_mode = transaction``, before its 1.21) gives each transaction
        whichever server connection is free, where a statement that psycopg prepared on
        another one does not exist ("prepared statement "_pg3_0" does not exist").
    """
    if database_url.startswith("sqlite"):
        # How long a writer waits for the write lock before "database is locked".
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}}
    connect_args: dict = {"connect_timeout": 5}
    if not prepared_statements:
        connect_args["prepare_threshold"] = None  # psycopg's "never prepare"
    return {
        # A restarted database leaves dead connections in the pool: test before use.
        "pool_pre_ping": True,
        "connect_args": connect_args,
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
        # A reader begins a deferred transaction, which takes no lock and runs beside
        # a writer (WAL); a writer takes the write lock at once, before its first read.
        if reading_now() and not _writing_aside.get():
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
