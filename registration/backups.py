"""``flask db backup PATH``: a copy of the database, taken while the service runs.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database in
one step, under a read transaction, so the copy is one consistent moment even while
the web server and the mail worker write; writers wait for nothing in WAL mode. A
plain file copy could miss what is still in the ``-wal`` file, or catch half a
transaction.

PostgreSQL: ``pg_dump --format=custom``, which also reads one snapshot while the
service runs; the command hands it the service's own ``DATABASE_URL`` (without the
``+psycopg`` of SQLAlchemy's form) and the password through the environment, not on
the command line where other users could read it. ``pg_restore`` restores it.

Either way the copy is written beside ``PATH`` under a temporary name and only then
given its name, so that a failed or interrupted backup never leaves a file that looks
like a good one, and an existing file is never overwritten.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from registration.database import SQLITE_BUSY_TIMEOUT_SECONDS
from registration.extensions import db


class BackupError(Exception):
    """The backup could not be made; the message says why, in an operator's words."""


def backup(url: sa.URL, path: Path) -> None:
    """Write a backup of the database at ``url`` to ``path``, which must not exist.

    :raise BackupError: ``path`` exists or its folder does not, the database is not a
        file, or the copy failed
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        raise BackupError(f"{path} already exists; choose a new name or remove it first")
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} does not exist")
    if url.get_backend_name() == "sqlite":
        copy = _sqlite_copier(url)
    elif url.get_backend_name() == "postgresql":
        copy = _pg_dump_copier(url)
    else:
        raise BackupError(f"cannot back up a {url.get_backend_name()} database")
    try:
        descriptor, partial_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".partial", dir=path.parent
        )
    except OSError as error:
        raise BackupError(f"cannot write in {path.parent}: {error.strerror}") from None
    os.close(descriptor)
    partial = Path(partial_name)
    try:
        copy(partial)
        _fsync(partial)
        _name_without_overwriting(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _sqlite_copier(url: sa.URL) -> Callable[[Path], None]:
    database = url.database
    if not database or database == ":memory:" or not Path(database).is_file():
        raise BackupError(f"no SQLite database file at {database or '(none)'}")

    def copy(partial: Path) -> None:
        source = sqlite3.connect(database, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        target = sqlite3.connect(partial)
        try:
            # All pages in one step: the copy is one read transaction, one moment.
            source.backup(target, pages=-1)
            checked = target.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.Error as error:
            raise BackupError(f"the SQLite backup failed: {error}") from None
        finally:
            target.close()
            source.close()
        if checked != "ok":
            raise BackupError(f"the copy does not pass SQLite's check: {checked}")

    return copy


def _pg_dump_copier(url: sa.URL) -> Callable[[Path], None]:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "pg_dump is not installed; install PostgreSQL's client programs "
            "(Debian: apt-get install postgresql-client) of the server's version or newer"
        )
    # libpq's form of the URL: no driver name, and the password in the environment.
    address = url.set(drivername="postgresql", password=None).render_as_string()
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)

    def copy(partial: Path) -> None:
        # A list of arguments, no shell: the URL is the operator's own setting.
        finished = subprocess.run(  # noqa: S603
            [pg_dump, "--format=custom", f"--file={partial}", f"--dbname={address}"],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if finished.returncode != 0:
            raise BackupError(f"pg_dump failed: {finished.stderr.strip()}")

    return copy


def _fsync(path: Path) -> None:
    """Make the copy durable before it gets its name: a crash must not leave a name on
    an empty file."""
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _name_without_overwriting(partial: Path, path: Path) -> None:
    # A hard link fails if the name was taken meanwhile, where a rename would replace it.
    try:
        os.link(partial, path)
    except FileExistsError:
        raise BackupError(f"{path} already exists; choose a new name or remove it first") from None
    except OSError as error:
        raise BackupError(f"cannot write {path}: {error.strerror}") from None


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Back up the database to PATH, safely while the service runs.

    SQLite: a copy of the database file (SQLite's online backup). PostgreSQL: a
    pg_dump archive in its custom format, for pg_restore. PATH must not exist.
    """
    try:
        backup(db.engine.url, path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up the database to {path}.")
