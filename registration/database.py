"""Database plumbing shared by every domain package: time columns and engine set-up.

Seats are counted under a lock (see ``registrations.services``). PostgreSQL
gives us row locks. SQLite has none: a transaction that may write must take the
database's write lock when it begins (``BEGIN IMMEDIATE``), otherwise two
processes could both read "one seat left" and the later one would fail on
commit with "database is locked" instead of waiting its turn. Writers wait
for that lock in a queue (``QueueingSQLiteConnection``).
"""

from __future__ import annotations

import enum
import fcntl
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import Connection, DateTime, Dialect, Engine, Enum, Executable, event
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.types import TypeDecorator
from werkzeug.routing import IntegerConverter

from registration.extensions import db

# Requests with these methods never change state (SPEC section 8), so on SQLite
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


class DriverStatement:
    """A Core statement run on the DB-API cursor: compiled once per dialect, its values
    converted by the columns' own types, its errors raised as SQLAlchemy's.

    For the few statements run while an event's seat lock is held, where everyone
    else registering waits: there SQLAlchemy's per-execution work (cache key,
    execution context, result object) costs several times what SQLite or
    PostgreSQL spend on the statement. Everything else uses ``execute``.

    It supports what those statements need: named ``bindparam`` values, all
    given at execution, and plain result columns. It fires none of SQLAlchemy's
    execution events (``before_cursor_execute`` and the like): listeners that
    log or count statements do not see these.
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: weakref.WeakKeyDictionary[Dialect, _CompiledForDriver] = (
            weakref.WeakKeyDictionary()
        )

    def rows(self, connection: Connection, parameters: Mapping[str, Any]) -> list[tuple]:
        """Run in ``connection``'s transaction (``db.session.connection()`` has one begun).

        :param parameters: a value for each ``bindparam``; other keys are ignored
        :raise sqlalchemy.exc.StatementError: a value is missing or cannot be converted
        """
        dialect = connection.dialect
        compiled = self._compiled.get(dialect) or self._compile(dialect)
        try:
            values = compiled.values(parameters)
        except (KeyError, TypeError, ValueError, LookupError) as error:  # as SQLAlchemy says it
            raise StatementError(str(error), compiled.sql, parameters, error) from error
        dbapi_connection = connection.connection.dbapi_connection
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(compiled.sql, values)
            rows = cursor.fetchall() if cursor.description is not None else []
        except dialect.loaded_dbapi.Error as error:
            invalidated = dialect.is_disconnect(error, dbapi_connection, cursor)
            with suppress(dialect.loaded_dbapi.Error):
                cursor.close()
            if invalidated:  # as SQLAlchemy would: the pool must not hand it out again
                connection.invalidate(error)
            raise DBAPIError.instance(
                compiled.sql,
                values,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=invalidated,
                dialect=dialect,
            ) from error
        cursor.close()
        return [compiled.row(row) for row in rows] if compiled.converts_results else rows

    def first(self, connection: Connection, parameters: Mapping[str, Any]) -> tuple | None:
        """The first row, or ``None``; as ``rows``."""
        rows = self.rows(connection, parameters)
        return rows[0] if rows else None

    def _compile(self, dialect: Dialect) -> _CompiledForDriver:
        compiled = _CompiledForDriver(self.statement, dialect)
        self._compiled[dialect] = compiled
        return compiled


class _CompiledForDriver:
    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if any(not bind.required for bind in compiled.binds.values()):
            raise ValueError("a DriverStatement takes every value at execution")
        if any(bind.expanding or bind.literal_execute for bind in compiled.binds.values()):
            raise ValueError("a DriverStatement takes no values rendered into its SQL")
        self.sql = compiled.string
        self.names = compiled.positiontup if dialect.positional else list(compiled.binds)
        self.positional = dialect.positional
        processors = (
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self.names
        )
        # Most values go to the driver as they are: keep only the ones to convert.
        self.conversions = [(index, p) for index, p in enumerate(processors) if p is not None]
        self.results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.exported_columns
        ]
        self.converts_results = any(self.results)

    def values(self, parameters: Mapping[str, Any]) -> list | dict:
        values = [parameters[name] for name in self.names]
        for index, convert in self.conversions:
            values[index] = convert(values[index])
        return values if self.positional else dict(zip(self.names, values, strict=True))

    def row(self, row: tuple) -> tuple:
        return tuple(
            convert(value) if convert else value
            for convert, value in zip(self.results, row, strict=True)
        )


def add_as_loaded(instance: object) -> None:
    """Put ``instance``, whose row a Core statement has just inserted, in the session as
    if loaded from it: its id and every column must be set.

    Like an object the session inserted itself, it leaves the session if the
    transaction rolls back, taking its row with it.
    """
    make_transient_to_detached(instance)
    db.session.add(instance)
    db.session.info.setdefault(_INSERTED_HERE, []).append(instance)


_INSERTED_HERE = "registration.inserted_in_this_transaction"


@event.listens_for(Session, "after_commit")
def _forget_inserted(session: Session) -> None:
    session.info.pop(_INSERTED_HERE, None)


@event.listens_for(Session, "after_soft_rollback")
def _expunge_inserted(session: Session, previous_transaction) -> None:
    if previous_transaction.nested:
        return  # a savepoint: what was inserted before it stays
    for instance in session.info.pop(_INSERTED_HERE, ()):
        if instance in session:
            session.expunge(instance)


class QueueingSQLiteConnection(sqlite3.Connection):
    """A SQLite connection whose writers wait their turn in a queue, not in a polling loop.

    A writer that finds the database locked sleeps in SQLite's busy handler
    and looks again after 1, 2, 5, 10… ms, so under a rush the write lock is
    often free while everyone sleeps. Here each writing transaction first takes
    an exclusive ``flock`` on a file beside the database: the kernel wakes the
    next writer the moment the last one commits. The file lock only orders
    writers; SQLite's own lock still decides, so a process that bypasses the
    queue (the ``sqlite3`` shell, say) is still safe, merely slower.

    A writer waits in the queue for as long as those ahead of it write, without
    the busy handler's time limit: a writer that hangs holds up the others
    until it is killed. Under gunicorn the worker timeout does that, as it does
    for any hung request; a killed process leaves the queue with its files.
    """

    #: Writing transactions of this thread that hold the queue, on any connection.
    _held = threading.local()

    def __init__(self, database, *args, **kwargs) -> None:
        super().__init__(database, *args, **kwargs)
        path = os.fspath(database)
        in_memory = path in ("", ":memory:") or kwargs.get("uri")
        self._queue = None if in_memory else os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT)
        #: The id of the process that holds the queue through this connection, or False.
        self._in_queue: int | bool = False

    def begin_writing(self) -> None:
        """``BEGIN IMMEDIATE``, after waiting for the writers ahead of us."""
        # A thread that already writes on another connection waits in the busy
        # handler instead, which gives up after a timeout: the queue would wait forever.
        if self._queue is not None and not getattr(self._held, "count", 0):
            fcntl.flock(self._queue, fcntl.LOCK_EX)
            self._in_queue = os.getpid()  # a forked copy of this object must not unlock it
            self._held.count = 1
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._leave_queue()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:  # a failed COMMIT leaves it open, for a rollback
                self._leave_queue()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave_queue()

    def close(self) -> None:
        try:
            super().close()  # ends an open transaction first
        finally:
            self._leave_queue()
            if self._queue is not None:
                os.close(self._queue)
                self._queue = None

    def _leave_queue(self) -> None:
        if self._in_queue:
            owner, self._in_queue = self._in_queue, False
            self._held.count = 0
            if owner == os.getpid():
                fcntl.flock(self._queue, fcntl.LOCK_UN)


def engine_options(database_url: str) -> dict:
    """Engine options for the backend named by the URL."""
    if database_url.startswith("sqlite"):
        return {
            "connect_args": {
                "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                "factory": QueueingSQLiteConnection,
            }
        }
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
        if reading_now() and not _writing_aside.get():
            connection.exec_driver_sql("BEGIN")
        else:
            connection.connection.dbapi_connection.begin_writing()
