"""Throw-away databases beside the suite's own: fresh, empty, and dropped afterwards.

For tests that need a database nobody has migrated yet (a restore, a migration from
an old revision). SQLite: a new file in the test's folder. PostgreSQL: a new database
on the ``TEST_DATABASE_URL`` server, dropped with its connections at the end.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa


@contextlib.contextmanager
def fresh_database(like_url: str, folder: Path, *, template: str | None = None) -> Iterator[str]:
    """The URL of a new, empty database on the same backend (and server) as ``like_url``;
    on PostgreSQL a copy of the database ``template`` if one is named."""
    url = sa.make_url(like_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{folder / f'fresh-{secrets.token_hex(4)}.sqlite3'}"
        return
    name = f"koalicja_fresh_{secrets.token_hex(6)}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            copied = f' TEMPLATE "{template}"' if template else ""
            connection.execute(sa.text(f'CREATE DATABASE "{name}"{copied}'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
