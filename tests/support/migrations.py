"""The migrations as a list, and a database's rows as data to carry across them.

``revisions`` reads Alembic's script directory, so a new migration joins every test
that walks them without anybody listing it. ``project`` puts rows read from a head
database into the tables of an older revision, as much of them as that revision's
schema holds; ``snapshot`` reads them back for comparison.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from registration import MIGRATIONS
from registration.extensions import db

Rows = dict[str, list[dict]]

#: Columns that the database keeps itself (the seat-count triggers of 0006): a copied
#: row starts them at 0, and the triggers count the registrations copied after it.
KEPT_BY_TRIGGERS = {"event": {"confirmed_count", "waitlisted_count"}}


def revisions() -> list[str]:
    """Every revision id, from the first migration to the head, in order."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    heads = script.get_heads()
    assert len(heads) == 1, f"the migrations branch: heads {heads}"
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def read_all(connection: sa.Connection) -> Rows:
    """Every row of every table the models know, as the models read them."""
    existing = set(sa.inspect(connection).get_table_names())
    rows: Rows = {}
    for table in db.metadata.sorted_tables:
        if table.name in existing:
            result = connection.execute(sa.select(table).order_by(*table.primary_key))
            rows[table.name] = [dict(row._mapping) for row in result]
    return rows


def _typed_tables(connection: sa.Connection) -> dict[str, sa.Table]:
    """The tables as they are in this database, their columns typed as the models type
    them where the models still have them (so that times, enums and JSON are written and
    read as the application does)."""
    reflected = sa.MetaData()
    reflected.reflect(connection)
    typed = sa.MetaData()
    for name, table in reflected.tables.items():
        head = db.metadata.tables.get(name)
        columns = [
            sa.Column(
                column.name,
                head.c[column.name].type
                if head is not None and column.name in head.c
                else column.type,
                primary_key=column.primary_key,
            )
            for column in table.columns
        ]
        sa.Table(name, typed, *columns)
    return typed.tables


def tables_in(connection: sa.Connection) -> list[str]:
    """The tables of this database's revision in an order that inserts parents first."""
    metadata = sa.MetaData()
    metadata.reflect(connection)
    return [table.name for table in metadata.sorted_tables if table.name != "alembic_version"]


def project(connection: sa.Connection, source: Rows, already: Rows) -> tuple[Counter, Counter]:
    """Insert ``source``'s rows into this database's tables, each in a savepoint of its own.

    Only the columns the table has at this revision are written. A row that is in
    ``already`` (put there by the migrations, as the coalition cities are) is not
    copied. A row the revision cannot hold (a status or a kind that did not exist yet,
    a parent row that was not copied) is skipped. Returns the rows placed and skipped
    per table.
    """
    placed, skipped = Counter(), Counter()
    tables = _typed_tables(connection)
    for name in tables_in(connection):
        table = tables[name]
        keys = [column.name for column in table.primary_key]
        seeded = {tuple(row[key] for key in keys) for row in already.get(name, [])}
        zeroed = KEPT_BY_TRIGGERS.get(name, set())
        wanted = [
            {
                column: (0 if column in zeroed else row[column])
                for column in (c.name for c in table.columns)
                if column in row
            }
            for row in source.get(name, [])
            if tuple(row.get(key) for key in keys) not in seeded
        ]
        if not wanted:
            continue
        # All at once if the revision holds every row (it mostly does), else one by one.
        if _inserted(connection, table, wanted):
            placed[name] += len(wanted)
            continue
        for values in wanted:
            if _inserted(connection, table, [values]):
                placed[name] += 1
            else:
                skipped[name] += 1
    _restart_sequences(connection)
    return placed, skipped


def _inserted(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> bool:
    savepoint = connection.begin_nested()
    try:
        connection.execute(table.insert(), rows)
    except sa.exc.IntegrityError:  # also a CHECK or a NOT NULL the revision has
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def _restart_sequences(connection: sa.Connection) -> None:
    """PostgreSQL: let the next id follow the copied ones, as in the database copied."""
    if connection.dialect.name != "postgresql":
        return
    for name in tables_in(connection):
        table = sa.Table(name, sa.MetaData(), autoload_with=connection)
        if "id" in table.c and isinstance(table.c.id.type, sa.Integer):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                f'coalesce((SELECT max(id) FROM "{name}"), 0) + 1, false)'
            )


def snapshot(connection: sa.Connection, columns: Mapping[str, list[str]]) -> Rows:
    """The rows of these tables, these columns only, in primary key order."""
    tables = _typed_tables(connection)
    rows: Rows = {}
    for name, names in columns.items():
        table = tables[name]
        order = list(table.primary_key) or [table.c[names[0]]]
        result = connection.execute(sa.select(*(table.c[n] for n in names)).order_by(*order))
        rows[name] = [dict(row._mapping) for row in result]
    return rows


def columns_of(connection: sa.Connection) -> dict[str, list[str]]:
    """This database's tables and their columns, as its revision made them."""
    inspector = sa.inspect(connection)
    return {
        name: [column["name"] for column in inspector.get_columns(name)]
        for name in tables_in(connection)
    }
