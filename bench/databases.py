"""Throw-away databases for the benchmarks: made for one run, removed afterwards."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


@contextmanager
def fresh_database(backend: str, postgres_url: str) -> Iterator[str]:
    """An empty database of our own on ``backend``; removed afterwards.

    :param postgres_url: a PostgreSQL server to create the database on
    """
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="koalicja-bench-") as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    server = sa.make_url(postgres_url)
    if server.drivername == "postgresql":
        server = server.set(drivername="postgresql+psycopg")
    name = f"koalicja_bench_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except sa.exc.OperationalError as error:
            raise SystemExit(
                f"--postgres-url {postgres_url} cannot be used: {error.orig}"
            ) from None
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
