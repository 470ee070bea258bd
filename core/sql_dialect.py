"""The few statements whose SQL differs between database engines, behind one seam.

Everything else in core is written with SQLAlchemy Core on the ORM's tables and runs on any
engine SQLAlchemy supports. What each engine spells its own way (an upsert) is built here
from the connection's dialect, so PostgreSQL (server mode) is a branch in this module, not a
search through the code. Hand-written SQL elsewhere (measured hot paths) says so where it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Column, Connection, MetaData, String, Table, inspect, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.dml import Insert


def upsert(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    update: Sequence[str],
    *,
    unless_same: str | None = None,
) -> Insert:
    """``INSERT … ON CONFLICT (keys) DO UPDATE``: a row whose ``keys`` exist gets the new
    values of the ``update`` columns; with ``unless_same``, only when that column differs
    (otherwise the stored row stays as it is)."""
    if conn.dialect.name == "postgresql":
        # Loaded only there: importing it costs every command's start ~0.1 s.
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(table)
        new = pg.excluded
        where = None if unless_same is None else table.c[unless_same] != new[unless_same]
        set_ = {name: new[name] for name in update}
        return cast(
            Insert, pg.on_conflict_do_update(index_elements=list(keys), set_=set_, where=where)
        )
    lite = sqlite.insert(table)
    new = lite.excluded
    where = None if unless_same is None else table.c[unless_same] != new[unless_same]
    set_ = {name: new[name] for name in update}
    return cast(
        Insert, lite.on_conflict_do_update(index_elements=list(keys), set_=set_, where=where)
    )


# -- schema version (schema, store) ----------------------------------------------------------
# Alembic's own record of the revision it last ran (every engine has it; revisions are named
# "0001", "0002", ...). Declared here, not in core.models: it is Alembic's table, not ours.
_ALEMBIC_VERSION = Table(
    "alembic_version", MetaData(), Column("version_num", String(32), primary_key=True)
)


def user_version(conn: Connection) -> int:
    """The schema version of the database ``conn`` is on (0 for an empty database).

    SQLite: ``PRAGMA user_version``, which ``set_user_version`` keeps equal to the Alembic
    revision, so the usual check at start (database already current) costs one pragma and
    never loads Alembic. PostgreSQL has no such header field: there Alembic's version table
    is the source (``alembic_version_of``).
    """
    name = conn.dialect.name
    if name == "sqlite":
        return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
    if name == "postgresql":
        return alembic_version_of(conn)
    raise NotImplementedError(f"No schema version lookup for the {name!r} database engine.")


def set_user_version(conn: Connection, version: int) -> None:
    """Record ``version`` as the schema version (after Alembic upgraded to it).

    SQLite: writes ``PRAGMA user_version``. PostgreSQL: nothing to do, the upgrade itself
    wrote Alembic's version table, which is what ``user_version`` reads there.
    """
    name = conn.dialect.name
    if name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
    elif name != "postgresql":
        raise NotImplementedError(f"No schema version record for the {name!r} database engine.")


def alembic_version_of(conn: Connection) -> int:
    """The revision number in Alembic's version table (0 when Alembic never ran)."""
    if not inspect(conn).has_table(_ALEMBIC_VERSION.name):
        return 0
    found = conn.execute(select(_ALEMBIC_VERSION.c.version_num)).scalar_one_or_none()
    return 0 if found is None else int(found)
